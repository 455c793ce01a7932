import { AppError, FieldCode } from '@orderops/core';
import type { ImportReport } from './imports/import-report.js';

export const OrdersErrorCode = {
  OrderNotFound: 'order-not-found',
  InvalidOrderId: 'invalid-order-id',
  InvalidCursor: 'invalid-cursor',
  InvalidTransition: 'invalid-status-transition',
  PreconditionRequired: 'precondition-required',
  PreconditionFailed: 'precondition-failed',
  IdempotencyKeyReused: 'idempotency-key-reused',
  InvalidIdempotencyKey: 'invalid-idempotency-key',
  UnknownCustomer: 'unknown-customer',
  CustomerAmbiguous: 'customer-ambiguous',
  ExternalRefTaken: 'external-ref-taken',
  CreatedByOperatorsOnly: 'created-by-operators-only',
  ImportNotFound: 'import-not-found',
  InvalidImportId: 'invalid-import-id',
  ImportDuplicate: 'import-duplicate',
  ImportTooLarge: 'import-too-large',
  ImportRejected: 'import-rejected',
  ImportInvalidFile: 'import-invalid-file',
  ImportInterrupted: 'import-interrupted',
  ImportMediaType: 'unsupported-media-type',
  ImportContentEncoding: 'unsupported-content-encoding',
  ImportNoRows: 'import-no-rows',
  ImportIdleTimeout: 'import-idle-timeout',
  ImportsBusy: 'imports-busy',
  ImportSpoolFull: 'import-spool-full',
  ImportExternalRefRace: 'import-external-ref-race',
} as const;

export class OrderNotFoundError extends AppError {
  constructor() {
    super(OrdersErrorCode.OrderNotFound, 404, 'Not Found', { detail: 'No order has this id.' });
  }
}

export class InvalidOrderIdError extends AppError {
  constructor() {
    super(OrdersErrorCode.InvalidOrderId, 400, 'Bad Request', {
      detail: 'Order ids look like ORD- followed by 26 characters.',
    });
  }
}

export class InvalidOrderCursorError extends AppError {
  constructor() {
    super(OrdersErrorCode.InvalidCursor, 400, 'Bad Request', {
      detail: 'The cursor is not one this API issued.',
    });
  }
}

export class InvalidTransitionError extends AppError {
  constructor(from: string, to: string) {
    super(OrdersErrorCode.InvalidTransition, 409, 'Conflict', {
      detail: `An order cannot move from ${from} to ${to}.`,
    });
  }
}

export class PreconditionRequiredError extends AppError {
  constructor() {
    super(OrdersErrorCode.PreconditionRequired, 428, 'Precondition Required', {
      detail: 'Send If-Match with the order’s ETag to change it.',
    });
  }
}

export class PreconditionFailedError extends AppError {
  constructor() {
    super(OrdersErrorCode.PreconditionFailed, 412, 'Precondition Failed', {
      detail: 'The order has changed since that ETag; fetch it again.',
    });
  }
}

export class IdempotencyKeyReusedError extends AppError {
  constructor() {
    super(OrdersErrorCode.IdempotencyKeyReused, 422, 'Unprocessable Content', {
      detail: 'This Idempotency-Key was used with a different request body.',
    });
  }
}

export class InvalidIdempotencyKeyError extends AppError {
  constructor() {
    super(OrdersErrorCode.InvalidIdempotencyKey, 400, 'Bad Request', {
      detail: 'Idempotency-Key must be 1-255 visible ASCII characters.',
    });
  }
}

export class UnknownCustomerError extends AppError {
  constructor() {
    super(OrdersErrorCode.UnknownCustomer, 422, 'Unprocessable Content', {
      detail: 'No customer has this customerId.',
      errors: [{ field: 'customerId', code: FieldCode.NotFound, message: 'customerId does not exist' }],
    });
  }
}

export class CustomerAmbiguousError extends AppError {
  constructor() {
    super(OrdersErrorCode.CustomerAmbiguous, 400, 'Validation failed', {
      detail: 'Give either customer or customerId, not both.',
      errors: [
        {
          field: 'customer',
          code: FieldCode.MutuallyExclusive,
          message: 'customer and customerId are mutually exclusive',
        },
      ],
    });
  }
}

/**
 * One externalRef per owner: the order that has it is named (it is the caller's own), so
 * that a partner retrying a create can reconcile instead of guessing.
 */
export class ExternalRefTakenError extends AppError {
  constructor(existingOrderId?: string) {
    super(OrdersErrorCode.ExternalRefTaken, 409, 'Conflict', {
      detail:
        existingOrderId === undefined
          ? 'Another order of yours already has this externalRef; each of your orders needs its own.'
          : `Your order ${existingOrderId} already has this externalRef; each of your orders needs its own.`,
      errors: [{ field: 'externalRef', code: FieldCode.AlreadyUsed, message: 'externalRef is already used' }],
      ...(existingOrderId === undefined ? {} : { extensions: { orderId: existingOrderId } }),
    });
  }
}

/** A client's orders are all its own: the creator filter is for operators, who see every owner's. */
export class CreatedByFilterForbiddenError extends AppError {
  constructor() {
    super(OrdersErrorCode.CreatedByOperatorsOnly, 400, 'Validation failed', {
      detail: 'Only operators may filter orders by createdBy.',
      errors: [
        {
          field: 'createdBy',
          code: FieldCode.NotAllowed,
          message: 'createdBy is a filter for operators only',
        },
      ],
    });
  }
}

export class ImportNotFoundError extends AppError {
  constructor() {
    super(OrdersErrorCode.ImportNotFound, 404, 'Not Found', { detail: 'No import has this id.' });
  }
}

export class InvalidImportIdError extends AppError {
  constructor() {
    super(OrdersErrorCode.InvalidImportId, 400, 'Bad Request', {
      detail: 'Import ids look like IMP- followed by 26 characters.',
    });
  }
}

export class ImportDuplicateError extends AppError {
  constructor(readonly firstImportId: string) {
    super(OrdersErrorCode.ImportDuplicate, 409, 'Conflict', {
      detail: `This file (same SHA-256) was imported before as ${firstImportId}; send allowDuplicate=true to import it again.`,
      extensions: { importId: firstImportId },
    });
  }
}

export class ImportTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super(OrdersErrorCode.ImportTooLarge, 413, 'Payload Too Large', {
      detail: `Order files are limited to ${limitBytes} bytes.`,
      extensions: { limitBytes },
    });
  }
}

/** Strict mode: the file had invalid rows, so nothing was imported; the report says which. */
export class ImportRejectedError extends AppError {
  constructor(readonly report: ImportReport) {
    super(OrdersErrorCode.ImportRejected, 422, 'Unprocessable Content', {
      detail: 'Strict import: the file has invalid rows, so nothing was imported; see report.rejects.',
      extensions: { report },
    });
  }
}

/** The file cannot be read as an order file at all (encoding, CSV syntax, header). */
export class ImportInvalidFileError extends AppError {
  constructor(detail: string) {
    super(OrdersErrorCode.ImportInvalidFile, 422, 'Unprocessable Content', { detail });
  }
}

export class ImportInterruptedError extends AppError {
  constructor() {
    super(OrdersErrorCode.ImportInterrupted, 400, 'Bad Request', {
      detail: 'The upload ended before the whole file arrived; nothing was imported.',
    });
  }
}

export class ImportMediaTypeError extends AppError {
  constructor() {
    super(OrdersErrorCode.ImportMediaType, 415, 'Unsupported Media Type', {
      detail: 'Send the order file as text/csv.',
    });
  }
}

export class ImportContentEncodingError extends AppError {
  constructor() {
    super(OrdersErrorCode.ImportContentEncoding, 415, 'Unsupported Media Type', {
      detail: 'Send the order file uncompressed (no Content-Encoding, or identity).',
      headers: { 'Accept-Encoding': 'identity' },
    });
  }
}

/** A header row and nothing else: there is nothing to import, which is not a completed import. */
export class ImportNoRowsError extends AppError {
  constructor() {
    super(OrdersErrorCode.ImportNoRows, 422, 'Unprocessable Content', {
      detail: 'The file has a header row but no data rows; nothing was imported.',
    });
  }
}

export class ImportIdleTimeoutError extends AppError {
  constructor(idleTimeoutMs: number) {
    super(OrdersErrorCode.ImportIdleTimeout, 408, 'Request Timeout', {
      detail: `No bytes of the upload arrived for ${idleTimeoutMs} ms; nothing was imported.`,
    });
  }
}

/** Too many imports at once, for the service or for this caller: ours to limit, theirs to retry. */
export class ImportsBusyError extends AppError {
  constructor(scope: 'service' | 'principal', retryAfterSeconds: number) {
    super(OrdersErrorCode.ImportsBusy, 429, 'Too Many Requests', {
      detail:
        scope === 'principal'
          ? 'You have as many imports running as allowed; retry when one has finished.'
          : 'As many imports are running as the service allows; retry later.',
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }
}

/** The disk that holds uploads while they arrive is full: ours, and gone once imports finish. */
export class ImportSpoolFullError extends AppError {
  constructor(retryAfterSeconds: number) {
    super(OrdersErrorCode.ImportSpoolFull, 503, 'Service Unavailable', {
      detail: 'There is no room to receive the file right now; retry later.',
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }
}

/**
 * While the import ran, another request gave one of the file's order_refs to an order of
 * the same owner: the unique index stopped the import's write. Sending the file again
 * rejects that row alone (externalRefTaken).
 */
export class ImportExternalRefRaceError extends AppError {
  constructor() {
    super(OrdersErrorCode.ImportExternalRefRace, 409, 'Conflict', {
      detail:
        'While this import ran, another request used one of its order_refs as an externalRef; nothing was imported. Send the file again: that row will be rejected.',
    });
  }
}
