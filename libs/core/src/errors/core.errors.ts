import { AppError, type FieldProblem } from './app-error.js';

export const CoreErrorCode = {
  BadRequest: 'bad-request',
  MalformedBody: 'malformed-body',
  ValidationFailed: 'validation-failed',
  Unauthorized: 'unauthorized',
  Forbidden: 'forbidden',
  NotFound: 'not-found',
  MethodNotAllowed: 'method-not-allowed',
  NotAcceptable: 'not-acceptable',
  RequestTimeout: 'request-timeout',
  Conflict: 'conflict',
  Gone: 'gone',
  PayloadTooLarge: 'payload-too-large',
  UnsupportedMediaType: 'unsupported-media-type',
  RateLimited: 'rate-limited',
  Internal: 'internal',
  ServiceUnavailable: 'service-unavailable',
} as const;
export type CoreErrorCode = (typeof CoreErrorCode)[keyof typeof CoreErrorCode];

/** The problem type URI for a code; URNs, so no client is tempted to dereference them. */
export function problemType(code: string): string {
  return `urn:orderops:problem:${code}`;
}

export class ValidationFailedError extends AppError {
  constructor(errors: readonly FieldProblem[]) {
    super(CoreErrorCode.ValidationFailed, 400, 'Validation failed', {
      detail: 'The request has invalid fields; see errors.',
      errors,
    });
  }
}

export class MethodNotAllowedError extends AppError {
  constructor(allowed: readonly string[]) {
    super(CoreErrorCode.MethodNotAllowed, 405, 'Method Not Allowed', {
      detail: 'This path does not support the request method; see the Allow header.',
      headers: { Allow: allowed.join(', ') },
    });
  }
}

/**
 * How long a client should wait after one of our own failures. Short: an outage we answer
 * for is usually a failover or a restart, and the pool reconnects on the next request.
 */
export const RETRY_AFTER_SECONDS = 5;

/** Our fault, not the caller's (database, pool, dependency): retrying later helps. */
export class ServiceUnavailableError extends AppError {
  constructor(detail: string, extensions?: Record<string, unknown>, cause?: unknown) {
    super(CoreErrorCode.ServiceUnavailable, 503, 'Service Unavailable', {
      detail,
      extensions,
      cause,
      headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
    });
  }
}

/** A database, pool or network failure met while handling a request. */
export class DependencyUnavailableError extends ServiceUnavailableError {
  constructor(cause: unknown) {
    super('A service this request depends on is unavailable; retry later.', undefined, cause);
  }
}

/** A JSON body nested deeper than the bound: refused before anything walks it recursively. */
export class BodyTooDeepError extends AppError {
  constructor(maxDepth: number) {
    super(CoreErrorCode.MalformedBody, 400, 'Bad Request', {
      detail: `The request body nests arrays or objects deeper than ${maxDepth} levels.`,
    });
  }
}

export class BodyTimeoutError extends AppError {
  constructor() {
    super(CoreErrorCode.RequestTimeout, 408, 'Request Timeout', {
      detail: 'The request body was not received in time.',
    });
  }
}

/** Another process holds the embedded database's data directory (a startup failure, not HTTP). */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';

  constructor(
    readonly dataDir: string,
    readonly holderPid: number,
  ) {
    super(
      `The data directory ${dataDir} is in use by process ${holderPid}; ` +
        'the embedded database allows one process at a time. Stop it, or point ORDEROPS_DATA_DIR elsewhere.',
    );
  }
}

/** A ciphertext that does not open: wrong key, wrong context, or altered. Never partial data. */
export class SealedBoxError extends Error {
  override readonly name = 'SealedBoxError';
}

/** A sealed value whose master key version is no longer configured. */
export class UnknownMasterKeyError extends SealedBoxError {
  constructor(readonly version: number) {
    super(`sealed with master key v${version}, which is not configured`);
  }
}

/**
 * The process holding the embedded database's data directory could not be reached through
 * the socket it serves (it is starting or stopping, or the socket is not safely ours).
 */
export class RunningInstanceUnreachableError extends Error {
  override readonly name = 'RunningInstanceUnreachableError';

  constructor(
    readonly dataDir: string,
    readonly holderPid: number,
    reason: string,
  ) {
    super(
      `The data directory ${dataDir} is in use by process ${holderPid}, and its database socket ${reason}.`,
    );
  }
}

/** Migrations never run on a database another process is serving: it would change under it. */
export class RunningInstanceMigrationError extends Error {
  override readonly name = 'RunningInstanceMigrationError';

  constructor(readonly holderPid: number) {
    super(
      `The embedded database is in use by process ${holderPid}; migrations never run beside it: ` +
        'stop that process, then run `orderops migrate`.',
    );
  }
}

/** Pending migrations where the schema must be current (a startup failure, not HTTP). */
export class SchemaBehindError extends Error {
  override readonly name = 'SchemaBehindError';
}
