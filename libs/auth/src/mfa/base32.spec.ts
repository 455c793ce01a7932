import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode } from './base32.js';

/** RFC 4648 §10 test vectors. */
const VECTORS: [string, string][] = [
  ['', ''],
  ['f', 'MY======'],
  ['fo', 'MZXQ===='],
  ['foo', 'MZXW6==='],
  ['foob', 'MZXW6YQ='],
  ['fooba', 'MZXW6YTB'],
  ['foobar', 'MZXW6YTBOI======'],
];

describe('base32 (RFC 4648)', () => {
  it.each(VECTORS)('encodes %j as %s and decodes it back', (plain, encoded) => {
    expect(base32Encode(Buffer.from(plain))).toBe(encoded);
    expect(base32Decode(encoded).toString()).toBe(plain);
  });

  it('leaves padding off on request and decodes unpadded, lower-case text', () => {
    expect(base32Encode(Buffer.from('foobar'), { padding: false })).toBe('MZXW6YTBOI');
    expect(base32Decode('mzxw6ytboi').toString()).toBe('foobar');
  });

  it('round-trips a 160-bit secret as 32 characters without padding', () => {
    const secret = Buffer.from('0123456789abcdef0123456789abcdef01234567', 'hex');
    const text = base32Encode(secret, { padding: false });
    expect(text).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(text).equals(secret)).toBe(true);
  });

  it('refuses characters outside the alphabet and non-canonical trailing bits', () => {
    expect(() => base32Decode('MZXW1===')).toThrow('not base32');
    expect(() => base32Decode('MZ XW')).toThrow('not base32');
    // "MZ" carries 10 bits: 8 for "f" and two that must be zero; "M3" sets them.
    expect(() => base32Decode('M3')).toThrow('not canonical');
    // A lone character is 5 bits: never a whole byte.
    expect(() => base32Decode('M')).toThrow('not canonical');
  });
});
