/**
 * Pattern scrubbing of free text bound for logs: whatever a message, an error or a database
 * driver puts into a string, personal data and credentials in it are replaced. Key-based
 * redaction (log-redaction.ts) cannot see inside strings; this can.
 */

const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/**
 * A card number as people write one: 13-19 digits in a row, 4-4-4-4 (plus up to 3) or
 * 4-6-4/4-6-5 (Diners, Amex), grouped by one kind of separator, and standing alone (no
 * letter, digit or underscore either side). Digits with a dash anywhere are not enough:
 * that rewrote one UUID in 700 (`736aa8e0-4f[card]fc83`), whose hex groups end in digit
 * runs. Prefixed ULIDs (ORD-, CUS-, IMP-) cannot match: their 26 characters run on.
 */
const CARD_CANDIDATE =
  /(?<!\w)(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|\d{4}([ -])\d{6}\2\d{4,5})(?!\w)/g;
/** International form: + and 7-15 digits with common separators. */
const PHONE_INTERNATIONAL = /\+\d(?:[\s().-]{0,2}\d){6,14}/g;
/** National forms: (555) 123-4567, 555-123-4567, 0612 345 678, and bare runs of 9-15 digits. */
const PHONE_NATIONAL =
  /(?<![\w.:/-])(?:\(\d{2,5}\)\s?|\d{2,5}[\s.-])\d{2,4}[\s.-]\d{3,4}(?:[\s.-]\d{2,4})?(?![\w.:/-])/g;
const DIGIT_RUN = /(?<![\w.-])\d{9,15}(?![\w.-])/g;

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export function scrubText(text: string): string {
  return text
    .replace(JWT, '[jwt]')
    .replace(AUTH_SCHEME, '$1 [redacted]')
    .replace(EMAIL, '[email]')
    .replace(CARD_CANDIDATE, (match) => (luhnValid(match.replace(/[ -]/g, '')) ? '[card]' : match))
    .replace(PHONE_INTERNATIONAL, '[phone]')
    .replace(PHONE_NATIONAL, '[phone]')
    .replace(DIGIT_RUN, '[phone]');
}

const MAX_DEPTH = 8;

/** A copy with every string scrubbed, at any depth (arrays and plain objects). */
export function scrubDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => scrubDeep(item, depth + 1));
  // Errors are left to the logger's err serializer, which serializes and then scrubs them.
  if (value instanceof Date || value instanceof Error) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = scrubDeep(item, depth + 1);
  return out;
}
