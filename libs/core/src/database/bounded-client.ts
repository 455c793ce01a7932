import pg from 'pg';

const READ_TIMEOUT_MESSAGE = 'Query read timeout';

/**
 * A `pg` client that gives its connection up when an answer does not arrive within
 * `query_timeout`. `pg` itself only rejects the late query and keeps the socket, so the
 * pool would hand the same connection to the next request, which then queues behind an
 * answer that never comes: one black-holed connection per pool slot wedges the pool for
 * good. Destroying the socket makes the client unusable, and the pool replaces it.
 */
export class BoundedClient extends pg.Client {
  constructor(config?: pg.ClientConfig) {
    super(config);
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    this.query = ((...args: unknown[]): unknown => {
      const last = args.at(-1);
      if (typeof last === 'function') {
        args[args.length - 1] = (error: unknown, result: unknown): unknown => {
          this.dropIfUnanswered(error);
          return (last as (e: unknown, r: unknown) => unknown)(error, result);
        };
        return query(...args);
      }
      const result = query(...args);
      if (result instanceof Promise) result.catch((error: unknown) => this.dropIfUnanswered(error));
      return result;
    }) as pg.Client['query'];
  }

  private dropIfUnanswered(error: unknown): void {
    if (error instanceof Error && error.message === READ_TIMEOUT_MESSAGE) {
      (this as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    }
  }
}
