import { describe, expect, it } from 'vitest';
import { scrubDeep, scrubText } from './scrub.js';

/** mulberry32: a small seeded generator, so the id sample is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HEX = '0123456789abcdef';
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function idGenerators(random: () => number): Record<string, () => string> {
  const chars = (alphabet: string, n: number) =>
    Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
  const uuid = () => {
    const h = chars(HEX, 32).split('');
    h[12] = '4';
    h[16] = '89ab'[Math.floor(random() * 4)];
    const x = h.join('');
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  };
  return {
    uuid,
    ORD: () => `ORD-${chars(CROCKFORD, 26)}`,
    CUS: () => `CUS-${chars(CROCKFORD, 26)}`,
    IMP: () => `IMP-${chars(CROCKFORD, 26)}`,
  };
}

/** Appends the Luhn check digit, so test card numbers are valid ones. */
function withCheckDigit(partial: string): string {
  for (let check = 0; check <= 9; check++) {
    const candidate = `${partial}${check}`;
    const sum = [...candidate]
      .reverse()
      .map((c, i) => (i % 2 === 1 ? ((Number(c) * 2) % 10) + Math.floor((Number(c) * 2) / 10) : Number(c)))
      .reduce((a, b) => a + b, 0);
    if (sum % 10 === 0) return candidate;
  }
  throw new Error('unreachable');
}

/** The shape of the id in the issue, `736aa8e0-4f[card]fc83`, with a Luhn-valid run of 18 digits. */
function issueShapedUuid(): string {
  const run = withCheckDigit('12412381234567890');
  return `736aa8e0-4f${run.slice(0, 2)}-${run.slice(2, 6)}-${run.slice(6, 10)}-${run.slice(10)}fc83`;
}

const group = (digits: string, sizes: number[], separator: string): string => {
  const parts: string[] = [];
  let at = 0;
  for (const size of sizes) {
    parts.push(digits.slice(at, at + size));
    at += size;
  }
  return parts.join(separator);
};

describe('scrubText', () => {
  it.each([
    ['duplicate key (email)=(jane.doe+orders@example.co.uk) exists', 'jane.doe+orders@example.co.uk'],
    ['call +44 20 7946 0958 today', '+44 20 7946 0958'],
    ['call +1 (555) 123-4567', '(555) 123-4567'],
    ['phone 555-123-4567', '555-123-4567'],
    ['phone 0612345678', '0612345678'],
    ['card 4111 1111 1111 1111 charged', '4111 1111 1111 1111'],
    ['card 5500-0000-0000-0004', '5500-0000-0000-0004'],
    ['Authorization: Bearer abcdef123456.xyz', 'abcdef123456.xyz'],
    ['Basic b3JkZXJvcHM6c2VjcmV0', 'b3JkZXJvcHM6c2VjcmV0'],
    [
      'token eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlX2hlcmU and more',
      'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlX2hlcmU',
    ],
  ])('removes the sensitive part of %j', (text, secret) => {
    expect(scrubText(text)).not.toContain(secret);
  });

  it.each([
    'request 6dbb7433-78f6-4de0-8f95-f65598bf1442 completed',
    'order ORD-01JD8Q5Z3M7R4T6V8X0B2C4D6F',
    'took 918.3 ms at 2026-11-23T05:07:20.715Z',
    'status 200, 3 items, total 1049.97',
  ])('leaves ordinary text alone: %j', (text) => {
    expect(scrubText(text)).toBe(text);
  });

  it('labels only Luhn-valid numbers as cards', () => {
    expect(scrubText('4111111111111111')).toBe('[card]');
    expect(scrubText('4111111111111112')).not.toContain('[card]');
  });

  describe('ids pass unchanged, card numbers do not', () => {
    const SAMPLE = 100_000;

    it.each(['uuid', 'ORD', 'CUS', 'IMP'])(
      `leaves ${SAMPLE.toLocaleString('en')} seeded %s ids alone in log text`,
      (kind) => {
        const next = idGenerators(seeded(20261201))[kind];
        const mangled: string[] = [];
        for (let i = 0; i < SAMPLE; i++) {
          const id = next();
          for (const text of [`request ${id} completed`, `{"requestId":"${id}"}`]) {
            if (scrubText(text) !== text) mangled.push(`${text} -> ${scrubText(text)}`);
          }
        }
        // The earlier pattern rewrote 145 of these UUIDs.
        expect(mangled.slice(0, 5)).toEqual([]);
      },
    );

    it.each([
      // Each holds a Luhn-valid run of 13-19 digits once its dashes are dropped.
      '2655eb83-2fe8-4154-8f23-61586355608a',
      issueShapedUuid(),
      `ORD-01J${withCheckDigit('411111111111111')}XYZABCD`,
      `CUS-${withCheckDigit('411111111111111')}ABCDEFGHJK`,
      `IMP-ABCDEFGHJK${withCheckDigit('411111111111111')}`,
    ])('leaves the crafted id %s alone', (id) => {
      expect(scrubText(`request ${id} failed`)).toBe(`request ${id} failed`);
    });

    const VISA = withCheckDigit('411111111111111');
    const AMEX = withCheckDigit('37828224631000');
    const DINERS = withCheckDigit('3056930902590');
    const NINETEEN = withCheckDigit('622222222222222222');
    it.each([
      VISA,
      group(VISA, [4, 4, 4, 4], ' '),
      group(VISA, [4, 4, 4, 4], '-'),
      AMEX,
      group(AMEX, [4, 6, 5], ' '),
      group(AMEX, [4, 6, 5], '-'),
      DINERS,
      group(DINERS, [4, 6, 4], ' '),
      NINETEEN,
      group(NINETEEN, [4, 4, 4, 4, 3], ' '),
    ])('scrubs the card number %s in free text', (card) => {
      for (const text of [
        `card ${card} charged`,
        `card:${card}`,
        `(${card})`,
        `number=${card}, expiry 12/29`,
        `paid with ${card}.`,
        `"${card}"`,
        card,
      ]) {
        const out = scrubText(text);
        expect(out).toContain('[card]');
        expect(out.replace(/\D/g, '')).not.toContain(card.replace(/\D/g, '').slice(0, 12));
      }
    });
  });

  it('scrubs every string at any depth', () => {
    const out = scrubDeep({ err: { message: 'x jane@example.com', parameters: ['+49 30 1234567', 12] } });
    expect(JSON.stringify(out)).not.toMatch(/jane@|1234567/);
    expect(JSON.stringify(out)).toContain('12');
  });
});
