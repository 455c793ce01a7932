import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { AppError } from '../errors/app-error.js';
import { CoreErrorCode } from '../errors/core.errors.js';

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number) {
    super(CoreErrorCode.RateLimited, 429, 'Too Many Requests', {
      detail: 'Too many requests from this client; retry later.',
      // The standard header for every limit (the throttler names it per limit otherwise).
      headers: { 'Retry-After': String(Math.max(1, retryAfterSeconds)) },
    });
  }
}

@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new RateLimitedError(detail.timeToBlockExpire);
  }
}
