import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { map, type Observable } from 'rxjs';
import { maskValue } from './mask.js';
import { piiFieldsOf, REVEAL_PII_KEY } from './pii.decorator.js';

const MAX_DEPTH = 10;

function maskDeep(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => maskDeep(item, depth + 1));
  const fields = piiFieldsOf(value);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const kind = fields?.get(key);
    record[key] = kind ? maskValue(kind, record[key]) : maskDeep(record[key], depth + 1);
  }
  return value;
}

/**
 * The one place personal data is masked in responses: every @Pii field of every response
 * DTO, at any depth. It reveals only on a @RevealPii route to a caller who holds the
 * route's scope; if it cannot tell who the caller is or what they hold, it masks.
 */
@Injectable()
export class PiiMaskingInterceptor implements NestInterceptor {
  /** Each handler's @RevealPii scope (or none), read once: metadata does not change after boot. */
  private readonly revealScopes = new WeakMap<object, string | null>();

  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const reveal = this.mayReveal(context);
    return next.handle().pipe(map((body: unknown) => (reveal ? body : maskDeep(body, 0))));
  }

  private revealScopeOf(handler: object): string | null {
    let scope = this.revealScopes.get(handler);
    if (scope === undefined) {
      const declared = this.reflector.get<unknown>(REVEAL_PII_KEY, handler as () => unknown);
      scope = typeof declared === 'string' && declared.length > 0 ? declared : null;
      this.revealScopes.set(handler, scope);
    }
    return scope;
  }

  private mayReveal(context: ExecutionContext): boolean {
    try {
      const scope = this.revealScopeOf(context.getHandler());
      if (!scope) return false;
      const user = context.switchToHttp().getRequest<{ user?: { scopes?: unknown } }>().user;
      return Array.isArray(user?.scopes) && user.scopes.includes(scope);
    } catch {
      return false;
    }
  }
}
