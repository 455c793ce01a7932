import { SetMetadata, type ExecutionContext } from '@nestjs/common';

export const STRICT_THROTTLER = 'strict';
const STRICT_RATE_LIMIT_KEY = 'orderops:strict-rate-limit';

/**
 * Adds the strict per-address limit (STRICT_RATE_LIMIT_PER_MINUTE) to a route, on top of
 * the default one: for endpoints that take credentials, where guessing must be slow.
 */
export const StrictRateLimit = (): MethodDecorator => SetMetadata(STRICT_RATE_LIMIT_KEY, true);

export function isStrictlyLimited(context: ExecutionContext): boolean {
  return Reflect.getMetadata(STRICT_RATE_LIMIT_KEY, context.getHandler()) === true;
}
