import { AppError, FieldCode } from '@orderops/core';

export const AuditErrorCode = {
  InvalidEvent: 'invalid-audit-event',
  InvalidCursor: 'invalid-cursor',
  ProofOutOfRange: 'audit-proof-out-of-range',
  EventNotInLog: 'audit-event-not-in-log',
} as const;
export type AuditErrorCode = (typeof AuditErrorCode)[keyof typeof AuditErrorCode];

/**
 * A programming error: an event that breaks the audit rules (too large, personal data,
 * secrets). It fails the caller's transaction, so the unaudited change never commits.
 * Not an AppError: the client gets a bare 500 and the log gets the message, which names
 * the rule and the field, never the value.
 */
export class InvalidAuditEventError extends Error {
  readonly code = AuditErrorCode.InvalidEvent;

  constructor(reason: string) {
    super(`Audit event refused: ${reason}`);
    this.name = 'InvalidAuditEventError';
  }
}

export class InvalidAuditCursorError extends AppError {
  constructor() {
    super(AuditErrorCode.InvalidCursor, 400, 'Bad Request', {
      detail: 'The cursor is not one this API issued; start again without it.',
      errors: [{ field: 'cursor', code: FieldCode.InvalidFormat, message: 'cursor is malformed' }],
    });
  }
}

/** A proof asked of a tree larger than the log, or of a position outside the tree. */
export class AuditProofRangeError extends AppError {
  constructor(field: 'treeSize' | 'seq' | 'from' | 'to', limit: string) {
    super(AuditErrorCode.ProofOutOfRange, 400, 'Bad Request', {
      detail: `${field} must be at most ${limit}.`,
      errors: [{ field, code: FieldCode.OutOfRange, message: `${field} must be at most ${limit}` }],
    });
  }
}

/** An event position the sequencer has not reached (or that does not exist yet). */
export class AuditEventNotSequencedError extends AppError {
  constructor() {
    super(AuditErrorCode.EventNotInLog, 404, 'Not Found', {
      detail: 'No event has this position in the log yet; new events are sequenced within seconds.',
    });
  }
}
