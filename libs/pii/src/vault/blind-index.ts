import { createHmac, type KeyObject } from 'node:crypto';

/** Trimmed and lower-cased: the forms an operator may type for the same address. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Digits only, country code included (`+44 20 7946 0958` -> `442079460958`; `0044...` too). */
export function normalizePhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return phone.trim().startsWith('00') ? digits.slice(2) : digits;
}

/**
 * Keyed HMAC-SHA-256 over normalized input, with a key of its own (ORDEROPS_BLIND_INDEX_KEY):
 * exact-match lookup without storing the value, and useless to anyone without the key.
 */
export function blindIndex(key: Buffer | KeyObject, kind: 'email' | 'phone', normalized: string): string {
  return createHmac('sha256', key).update(`${kind}:${normalized}`, 'utf8').digest('hex');
}
