import { AppError } from '@orderops/core';

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

export class InvalidCursorError extends AppError {
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
      errors: [{ field: 'customerId', code: 'unknownCustomer', message: 'customerId does not exist' }],
    });
  }
}

export class CustomerAmbiguousError extends AppError {
  constructor() {
    super(OrdersErrorCode.CustomerAmbiguous, 400, 'Validation failed', {
      detail: 'Give either customer or customerId, not both.',
      errors: [
        { field: 'customer', code: 'exclusive', message: 'customer and customerId are mutually exclusive' },
      ],
    });
  }
}
