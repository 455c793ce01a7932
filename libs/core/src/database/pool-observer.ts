import type { Pool, PoolClient } from 'pg';

/** What the metrics learn from the pool; both are called on the hot path, so keep them cheap. */
export interface PoolObserver {
  /** A caller got a connection after waiting this long (seconds), opening it included. */
  acquired(seconds: number): void;
  /** A caller got none: acquire timeout, refused or failed connection attempt. */
  failed(error: unknown): void;
}

type ConnectCallback = (error: Error | undefined, client: PoolClient | undefined, done: () => void) => void;

/**
 * Times every wait for a connection and reports the ones that fail. Every caller comes
 * through `connect` (TypeORM's query runners, `pool.query` behind Database.read), and a wait
 * that fails never reaches a client, so this is the one place that sees it.
 */
export function observePool(pool: Pool, observer: PoolObserver): void {
  const connect = pool.connect.bind(pool) as (callback?: ConnectCallback) => Promise<PoolClient> | undefined;
  pool.connect = ((callback?: ConnectCallback) => {
    const started = performance.now();
    if (typeof callback === 'function') {
      return connect((error, client, done) => {
        if (error) observer.failed(error);
        else observer.acquired((performance.now() - started) / 1000);
        callback(error, client, done);
      });
    }
    const result = connect();
    result?.then(
      () => observer.acquired((performance.now() - started) / 1000),
      (error: unknown) => observer.failed(error),
    );
    return result;
  }) as Pool['connect'];
}
