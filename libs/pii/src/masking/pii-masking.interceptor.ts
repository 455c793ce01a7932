import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { map, type Observable } from 'rxjs';
import { notPersonalFieldsOf } from '@orderops/core';
import { maskValue, type PiiKind } from './mask.js';
import { piiFieldsOf, REVEAL_PII_KEY } from './pii.decorator.js';

const MAX_DEPTH = 10;

const KIND_BY_NAME: ReadonlyMap<string, PiiKind> = new Map([
  ['name', 'name'],
  ['email', 'email'],
  ['phone', 'phone'],
  ['address', 'address'],
]);

/**
 * The kind a property name implies: `email`, and compounds ending in one (`customerEmail`,
 * `billing_address`, `lastName`). `username` or `filename` do not: the suffix must start
 * a word.
 */
const COMPOUND = /(?:[a-z0-9](Name|Email|Phone|Address)|_(name|email|phone|address))$/;

/** Response keys come from code, a few dozen in all; the bound only guards against surprises. */
const KIND_CACHE_LIMIT = 1024;
const kindCache = new Map<string, PiiKind | null>();

function kindByName(key: string): PiiKind | undefined {
  let kind = kindCache.get(key);
  if (kind === undefined) {
    const match = KIND_BY_NAME.has(key) ? null : COMPOUND.exec(key);
    kind =
      KIND_BY_NAME.get(key) ??
      (match ? (KIND_BY_NAME.get((match[1] ?? match[2]).toLowerCase()) ?? null) : null);
    if (kindCache.size < KIND_CACHE_LIMIT) kindCache.set(key, kind);
  }
  return kind ?? undefined;
}

/** Binary bodies and streams: sent as they are, not as JSON (never a mapper's output). */
function isOpaque(value: object): boolean {
  return (
    ArrayBuffer.isView(value) ||
    value instanceof ArrayBuffer ||
    typeof (value as { pipe?: unknown }).pipe === 'function'
  );
}

/**
 * Masks personal data, whatever the shape: a property declared @Pii, and any property named
 * like personal data (the backstop for plain objects, spread copies and nested values that
 * mappers did not mask), unless its class declared it @NotPersonalData. Masking is
 * idempotent, so values the mapper already masked come out unchanged. It fails closed: an
 * object with its own `toJSON` is masked as what it serializes to, and what lies deeper
 * than any response of ours is not sent at all (null).
 */
function maskDeep(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date || isOpaque(value)) return value;
  if (depth > MAX_DEPTH) return null;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return maskDeep(toJSON.call(value) as unknown, depth + 1);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = maskDeep(value[i], depth + 1);
    return value;
  }
  const declared = piiFieldsOf(value);
  const exempt = notPersonalFieldsOf(value);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const kind = declared?.get(key) ?? (exempt?.has(key) ? undefined : kindByName(key));
    record[key] = kind ? maskValue(kind, record[key]) : maskDeep(record[key], depth + 1);
  }
  return value;
}

/**
 * The backstop behind the mappers (which mask): every response, at any depth, has its
 * personal data masked, by @Pii declaration or by field name. It reveals only on a
 * @RevealPii route to a caller who holds the route's scope; if it cannot tell who the
 * caller is or what they hold, it masks.
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
