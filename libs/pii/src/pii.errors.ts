import { AppError } from '@orderops/core';

export const PiiErrorCode = {
  CustomerNotFound: 'customer-not-found',
  CustomerErased: 'customer-erased',
  InvalidCustomerId: 'invalid-customer-id',
  DecryptionFailed: 'decryption-failed',
} as const;

export class CustomerNotFoundError extends AppError {
  constructor() {
    super(PiiErrorCode.CustomerNotFound, 404, 'Not Found', { detail: 'No customer has this id.' });
  }
}

export class CustomerErasedError extends AppError {
  constructor() {
    super(PiiErrorCode.CustomerErased, 410, 'Gone', {
      detail: 'This customer’s personal data has been erased.',
    });
  }
}

export class InvalidCustomerIdError extends AppError {
  constructor() {
    super(PiiErrorCode.InvalidCustomerId, 400, 'Bad Request', {
      detail: 'Customer ids look like CUS- followed by 26 characters.',
    });
  }
}

/** A ciphertext that does not open. Always an error (500 to clients): never garbage data. */
export class DecryptionFailedError extends Error {
  override readonly name = 'DecryptionFailedError';

  constructor() {
    super('personal data failed to decrypt (wrong key, wrong place, or altered)');
  }
}
