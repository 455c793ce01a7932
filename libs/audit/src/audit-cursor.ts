import { InvalidAuditCursorError } from './audit.errors.js';

/** Opaque to clients: base64url JSON naming the last event of the page (newest first) by its arrival (equal to seq for events from before the Merkle log, so older cursors still work). */
export function encodeAuditCursor(arrival: string): string {
  return Buffer.from(JSON.stringify({ v: 1, before: arrival }), 'utf8').toString('base64url');
}

/** The arrival to continue below; InvalidAuditCursorError for anything this API did not issue. */
export function decodeAuditCursor(cursor: string): string {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw new InvalidAuditCursorError();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidAuditCursorError();
  }
  const fields = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const before = fields.before;
  if (fields.v !== 1 || typeof before !== 'string' || !/^[1-9][0-9]{0,17}$/.test(before)) {
    throw new InvalidAuditCursorError();
  }
  return before;
}
