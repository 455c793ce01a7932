import { describe, expect, it } from 'vitest';
import { hotp, matchTotp, totp, totpStep, type TotpAlgorithm } from './totp.js';

const SEED_SHA1 = Buffer.from('12345678901234567890', 'ascii');
const SEED_SHA256 = Buffer.from('12345678901234567890123456789012', 'ascii');
const SEED_SHA512 = Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii');
const SEEDS: Record<TotpAlgorithm, Buffer> = { sha1: SEED_SHA1, sha256: SEED_SHA256, sha512: SEED_SHA512 };

/** RFC 6238 Appendix B: time (s), algorithm, 8-digit TOTP. */
const RFC6238: [number, TotpAlgorithm, string][] = [
  [59, 'sha1', '94287082'],
  [59, 'sha256', '46119246'],
  [59, 'sha512', '90693936'],
  [1111111109, 'sha1', '07081804'],
  [1111111109, 'sha256', '68084774'],
  [1111111109, 'sha512', '25091201'],
  [1111111111, 'sha1', '14050471'],
  [1111111111, 'sha256', '67062674'],
  [1111111111, 'sha512', '99943326'],
  [1234567890, 'sha1', '89005924'],
  [1234567890, 'sha256', '91819424'],
  [1234567890, 'sha512', '93441116'],
  [2000000000, 'sha1', '69279037'],
  [2000000000, 'sha256', '90698825'],
  [2000000000, 'sha512', '38618901'],
  [20000000000, 'sha1', '65353130'],
  [20000000000, 'sha256', '77737706'],
  [20000000000, 'sha512', '47863826'],
];

/** RFC 4226 Appendix D: HOTP values for counters 0-9. */
const RFC4226 = [
  '755224',
  '287082',
  '359152',
  '969429',
  '338314',
  '254676',
  '287922',
  '162583',
  '399871',
  '520489',
];

describe('TOTP (RFC 6238)', () => {
  it.each(RFC6238)('at %i s with %s gives %s', (seconds, algorithm, expected) => {
    expect(totp(SEEDS[algorithm], seconds * 1000, 8, algorithm)).toBe(expected);
  });

  it('HOTP gives the RFC 4226 values, and 6-digit TOTP is their truncation', () => {
    expect(RFC4226.map((_, counter) => hotp(SEED_SHA1, counter))).toEqual(RFC4226);
    // 59 s is step 1: the 8-digit 94287082 ends in the 6-digit HOTP(1).
    expect(totp(SEED_SHA1, 59_000)).toBe('287082');
  });

  it('steps are 30 s long and start on the epoch', () => {
    expect(totpStep(29_999)).toBe(0);
    expect(totpStep(30_000)).toBe(1);
    expect(totpStep(1111111109_000)).toBe(37037036);
  });

  describe('matchTotp', () => {
    const at = 1234567890_000;
    const now = totpStep(at);
    const codeAt = (step: number) => hotp(SEED_SHA1, step);

    it('accepts the current step and one either side, naming the step', () => {
      expect(matchTotp(SEED_SHA1, codeAt(now), at, null)).toBe(now);
      expect(matchTotp(SEED_SHA1, codeAt(now - 1), at, null)).toBe(now - 1);
      expect(matchTotp(SEED_SHA1, codeAt(now + 1), at, null)).toBe(now + 1);
    });

    it('refuses codes two steps away', () => {
      expect(matchTotp(SEED_SHA1, codeAt(now - 2), at, null)).toBeUndefined();
      expect(matchTotp(SEED_SHA1, codeAt(now + 2), at, null)).toBeUndefined();
    });

    it('refuses the step already used and every older one, but not a newer one', () => {
      expect(matchTotp(SEED_SHA1, codeAt(now), at, now)).toBeUndefined();
      expect(matchTotp(SEED_SHA1, codeAt(now - 1), at, now)).toBeUndefined();
      expect(matchTotp(SEED_SHA1, codeAt(now - 1), at, now - 1)).toBeUndefined();
      expect(matchTotp(SEED_SHA1, codeAt(now), at, now - 1)).toBe(now);
      expect(matchTotp(SEED_SHA1, codeAt(now + 1), at, now)).toBe(now + 1);
    });

    it('refuses anything but six digits, and another secret’s code', () => {
      const code = codeAt(now);
      for (const bad of ['', '12345', '1234567', ` ${code}`, `${code.slice(0, 5)}x`, '١٢٣٤٥٦']) {
        expect(matchTotp(SEED_SHA1, bad, at, null)).toBeUndefined();
      }
      expect(matchTotp(SEED_SHA256, code, at, null)).toBeUndefined();
    });
  });
});
