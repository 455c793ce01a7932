import { AppError } from '../errors/app-error.js';
import { CoreErrorCode } from '../errors/core.errors.js';

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number) {
    super(CoreErrorCode.RateLimited, 429, 'Too Many Requests', {
      detail: 'Too many requests from this client; retry later.',
      headers: { 'Retry-After': String(Math.max(1, retryAfterSeconds)) },
    });
  }
}
