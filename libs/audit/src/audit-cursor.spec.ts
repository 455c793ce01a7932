import { describe, expect, it } from 'vitest';
import { decodeAuditCursor, encodeAuditCursor } from './audit-cursor.js';
import { InvalidAuditCursorError } from './audit.errors.js';

describe('audit cursors', () => {
  it('round-trip the seq they were made from', () => {
    expect(decodeAuditCursor(encodeAuditCursor('12345'))).toBe('12345');
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['another version', Buffer.from(JSON.stringify({ v: 2, before: '5' })).toString('base64url')],
    ['a number seq', Buffer.from(JSON.stringify({ v: 1, before: 5 })).toString('base64url')],
    ['SQL in the seq', Buffer.from(JSON.stringify({ v: 1, before: '5 OR 1=1' })).toString('base64url')],
    ['a zero seq', Buffer.from(JSON.stringify({ v: 1, before: '0' })).toString('base64url')],
    ['null', Buffer.from('null').toString('base64url')],
  ])('refuses %s', (_what, cursor) => {
    expect(() => decodeAuditCursor(cursor)).toThrow(InvalidAuditCursorError);
  });
});
