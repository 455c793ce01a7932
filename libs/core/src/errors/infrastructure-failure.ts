/**
 * The one place that tells "our infrastructure failed" from everything else: a database,
 * pool or network error says nothing about the request, so it must never become a 4xx, and
 * retrying later helps, so it is a 503 with Retry-After. Bugs (constraint violations, syntax
 * errors, type errors) are not infrastructure failures and stay 500s.
 */

/** What a log line may say about the failure: codes and class names, never messages or SQL. */
export interface InfrastructureFailure {
  /** The SQLSTATE, errno or a fixed label for coded-less driver errors. */
  readonly code: string;
  /** The class of the error that carried it (QueryFailedError, Error, ...). */
  readonly name: string;
}

/** SQLSTATE classes that are always the server's or the network's state (PostgreSQL, Appendix A). */
const UNAVAILABLE_SQLSTATE_CLASSES = new Set([
  '08', // connection exception
  '53', // insufficient resources (too many connections, out of memory, disk full)
  '57', // operator intervention: shutdown, cannot connect now, statement timeout, session timeouts
  '58', // system error (I/O)
]);

/** Single SQLSTATEs outside those classes that a retry resolves. */
const UNAVAILABLE_SQLSTATES = new Set([
  '55P03', // lock_not_available: lock_timeout expired
  '25P03', // idle_in_transaction_session_timeout ended the session
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

/** Socket errors (Node errno codes) on the way to the database or another dependency. */
const NETWORK_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * `pg` and `pg-pool` raise these without a code; the texts are fixed in the driver, so the
 * prefix names the failure. Mapped to labels so logs stay code-shaped.
 */
const DRIVER_MESSAGES: ReadonlyArray<readonly [prefix: string, label: string]> = [
  ['timeout exceeded when trying to connect', 'pool-acquire-timeout'],
  ['Connection terminated', 'connection-terminated'],
  ['timeout expired', 'connect-timeout'],
  ['Query read timeout', 'query-read-timeout'],
  ['Client has encountered a connection error', 'connection-error'],
  ['Client was closed and is not queryable', 'connection-closed'],
  ['Cannot use a pool after calling end on the pool', 'pool-closed'],
  ['The server does not support SSL connections', 'tls-unavailable'],
  ['There was an error establishing an SSL connection', 'tls-failed'],
];

interface ErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly syscall?: unknown;
  readonly cause?: unknown;
  readonly driverError?: unknown;
  readonly errors?: unknown;
}

function nameOf(error: ErrorShape): string {
  const ctor = (error as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof ctor === 'string' && ctor !== 'Object'
    ? ctor
    : typeof error.name === 'string'
      ? error.name
      : 'Error';
}

/** Five characters, and not an errno that happens to be five letters (EPIPE). */
function isSqlState(code: unknown): code is string {
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !NETWORK_ERRNOS.has(code);
}

function codeOf(error: ErrorShape): string | undefined {
  const { code, message, syscall } = error;
  if (typeof code === 'string') {
    if (NETWORK_ERRNOS.has(code)) return code;
    if (isSqlState(code)) {
      return UNAVAILABLE_SQLSTATE_CLASSES.has(code.slice(0, 2)) || UNAVAILABLE_SQLSTATES.has(code)
        ? code
        : undefined;
    }
    // A unix socket that is gone (the embedded server's, or a local PostgreSQL's).
    if (code === 'ENOENT' && syscall === 'connect') return code;
  }
  if (typeof message === 'string') {
    const hit = DRIVER_MESSAGES.find(([prefix]) => message.startsWith(prefix));
    if (hit) return hit[1];
  }
  return undefined;
}

/**
 * The infrastructure failure inside `thrown`, if any: the error itself, what TypeORM wraps
 * (`driverError`), what it was caused by (`cause`) or any of an AggregateError's errors
 * (Node's connect tries every address). A SQLSTATE that is not an outage (23505, 42P01)
 * ends the search: a constraint violation caused by a bug stays a bug.
 */
export function infrastructureFailureOf(thrown: unknown, depth = 0): InfrastructureFailure | undefined {
  if (typeof thrown !== 'object' || thrown === null || depth > 8) return undefined;
  const error = thrown as ErrorShape;
  const code = codeOf(error);
  if (code !== undefined) return { code, name: nameOf(error) };
  if (isSqlState(error.code)) return undefined;
  const aggregated: unknown[] = Array.isArray(error.errors) ? (error.errors as unknown[]) : [];
  const inner = [error.driverError, error.cause, ...aggregated];
  for (const candidate of inner) {
    const found = infrastructureFailureOf(candidate, depth + 1);
    if (found) return { code: found.code, name: nameOf(error) };
  }
  return undefined;
}

export function isInfrastructureFailure(thrown: unknown): boolean {
  return infrastructureFailureOf(thrown) !== undefined;
}
