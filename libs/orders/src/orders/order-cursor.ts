import { Buffer } from 'node:buffer';
import { InvalidOrderCursorError } from '../orders.errors.js';

export const ORDER_ID_PATTERN = /^ORD-[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * A page cursor naming the last order id of the page before: opaque to callers (base64url
 * JSON with a version), so its shape can change without breaking them.
 */
export function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify({ v: 1, after: id })).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      v?: unknown;
      after?: unknown;
    };
    if (parsed.v === 1 && typeof parsed.after === 'string' && ORDER_ID_PATTERN.test(parsed.after))
      return parsed.after;
  } catch {
    // fall through
  }
  throw new InvalidOrderCursorError();
}
