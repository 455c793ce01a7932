import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { requestPrincipalOf } from '../http/request-principal.js';
import { RateLimitedError } from './rate-limit.errors.js';
import { RateLimiter } from './rate-limiter.js';

/**
 * The per-principal limit. An interceptor, because interceptors run after every guard: the
 * principal is known (the auth guard recorded it) whatever order the guards run in.
 */
@Injectable()
export class PrincipalRateLimitInterceptor implements NestInterceptor {
  constructor(private readonly limiter: RateLimiter) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const principal = requestPrincipalOf(context.switchToHttp().getRequest<object>());
    if (principal !== undefined) {
      const wait = await this.limiter.forPrincipal(principal);
      if (wait > 0) throw new RateLimitedError(wait);
    }
    return next.handle();
  }
}
