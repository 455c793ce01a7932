import pg from 'pg';

const READ_TIMEOUT_MESSAGE = 'Query read timeout';

/** The pool passes its options to each client it creates; this one is ours. */
export interface BoundedClientConfig extends pg.ClientConfig {
  /** Told of every failed query (the metrics' error counter). */
  readonly onQueryError?: (error: unknown) => void;
  /** Told whenever the server answered a query, with rows or an error (the pool stall watch). */
  readonly onAnswer?: () => void;
}

/** Wraps a `pg` method that takes an optional trailing callback or returns a promise. */
function observeQueries(
  method: (...args: unknown[]) => unknown,
  failed: (error: unknown) => void,
  answered: () => void,
): (...args: unknown[]) => unknown {
  const settled = (error: unknown): void => {
    if (error) failed(error);
    // An error the server sent is an answer too; a timeout or a lost socket is not.
    if (!error || error instanceof pg.DatabaseError) answered();
  };
  return (...args: unknown[]): unknown => {
    const last = args.at(-1);
    if (typeof last === 'function') {
      args[args.length - 1] = (error: unknown, ...rest: unknown[]): unknown => {
        settled(error);
        return (last as (e: unknown, ...r: unknown[]) => unknown)(error, ...rest);
      };
      return method(...args);
    }
    const result = method(...args);
    if (result instanceof Promise) result.then(() => settled(undefined), settled);
    return result;
  };
}

/**
 * A `pg` client that gives its connection up when an answer does not arrive within
 * `query_timeout`. `pg` itself only rejects the late query and keeps the socket, so the
 * pool would hand the same connection to the next request, which then queues behind an
 * answer that never comes: one black-holed connection per pool slot wedges the pool for
 * good. Destroying the socket makes the client unusable, and the pool replaces it.
 */
export class BoundedClient extends pg.Client {
  constructor(config?: BoundedClientConfig) {
    super(config);
    const onError = config?.onQueryError;
    const onAnswer = config?.onAnswer ?? ((): void => undefined);
    const failed = (error: unknown): void => {
      if (error === null || error === undefined) return;
      onError?.(error);
      this.dropIfUnanswered(error);
    };
    this.query = observeQueries(this.query.bind(this), failed, onAnswer) as pg.Client['query'];
  }

  private dropIfUnanswered(error: unknown): void {
    if (error instanceof Error && error.message === READ_TIMEOUT_MESSAGE) {
      (this as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    }
  }
}
