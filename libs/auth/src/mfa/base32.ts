/** RFC 4648 §6 alphabet: what authenticator apps expect in an `otpauth://` secret. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32. `padding: false` is the form `otpauth://` URIs carry. */
export function base32Encode(data: Uint8Array, { padding = true }: { padding?: boolean } = {}): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    // Only the low `bits` bits are still needed; keeping the number small keeps it exact.
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  if (padding) while (out.length % 8 !== 0) out += '=';
  return out;
}

/**
 * RFC 4648 base32, case-insensitive, padding optional. Throws on any other character and on
 * leftover bits that are not zero (a non-canonical encoding), so one secret has one text.
 */
export function base32Decode(text: string): Buffer {
  const body = text.toUpperCase().replace(/=+$/, '');
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of body) {
    const value = ALPHABET.indexOf(char);
    if (value < 0) throw new Error('not base32');
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bytes.push((buffer >>> (bits - 8)) & 255);
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits >= 5 || buffer !== 0) throw new Error('not canonical base32');
  return Buffer.from(bytes);
}
