import type { Pool, PoolClient } from 'pg';
import { queryErrorClassOf } from '../metrics/database-metrics.js';

type ConnectCallback = (error: Error | undefined, client: PoolClient | undefined, done: () => void) => void;

/** What the liveness probe and the stall gauge read. */
export interface PoolStallState {
  /** How long callers have starved with no sign of life from the pool; 0 when none starve. */
  readonly stalledMs: number;
  /** Connections lent out and not returned. */
  readonly lentOut: number;
  /** Starved for the bound while connections are lent out: only a restart frees them. */
  readonly wedged: boolean;
}

/**
 * Tells a wedged pool from a database that is down. Wedged: callers wait for a connection
 * (or gave up at the acquire timeout) while connections are lent out, and for `boundMs` none
 * of them came back, no caller got one and the database answered nothing on any of them.
 * Those connections live in this process, so a restart is what frees them. A database that
 * is down refuses or resets connections fast: every such failure is an answer, the lent-out
 * ones fail and return, so the pool never reads as wedged and only readiness fails. A pool
 * with nothing lent out is not wedged either, whatever its connection attempts do.
 *
 * Its hooks run per acquire and per query answer: a clock read and a few assignments.
 */
export class PoolStallWatch {
  /** When the pool last showed life: a connection returned or handed out, a server answer. */
  private lastLife = performance.now();
  /** Start of the earliest wait since lastLife that ended without a connection by timing out. */
  private starvedSince: number | undefined;
  private readonly waits = new Map<number, number>();
  private nextWait = 0;
  /** Clients lent out now (by identity, so a release of one lent before attach() is ignored). */
  private readonly lent = new Set<PoolClient>();

  constructor(private readonly boundMs: number) {}

  /** Called by the pool's clients whenever the server answered a query (rows or an error). */
  readonly answered = (): void => {
    this.alive();
  };

  attach(pool: Pool): void {
    pool.on('acquire', (client: PoolClient) => {
      this.lent.add(client);
    });
    pool.on('release', (_error: unknown, client: PoolClient) => {
      this.lent.delete(client);
      this.alive();
    });
    const connect = pool.connect.bind(pool) as (
      callback?: ConnectCallback,
    ) => Promise<PoolClient> | undefined;
    pool.connect = ((callback?: ConnectCallback) => {
      const id = this.nextWait++;
      const started = performance.now();
      this.waits.set(id, started);
      const ended = (error: unknown): void => {
        this.waits.delete(id);
        if (error === undefined || error === null) this.alive();
        else if (queryErrorClassOf(error) === 'timeout') this.starvedSince ??= started;
        // Refused, reset, bad password: the database (or its host) answered, fast.
        else this.alive();
      };
      if (typeof callback === 'function') {
        return connect((error, client, done) => {
          ended(error);
          callback(error, client, done);
        });
      }
      const result = connect();
      result?.then(
        () => ended(undefined),
        (error: unknown) => ended(error),
      );
      return result;
    }) as Pool['connect'];
  }

  state(now = performance.now()): PoolStallState {
    let since = this.starvedSince ?? Number.POSITIVE_INFINITY;
    for (const started of this.waits.values()) if (started < since) since = started;
    // A wait that began before the last sign of life has starved only since then.
    const stalledMs = Number.isFinite(since) ? Math.max(0, now - Math.max(since, this.lastLife)) : 0;
    const lentOut = this.lent.size;
    return { stalledMs, lentOut, wedged: lentOut > 0 && stalledMs >= this.boundMs };
  }

  private alive(): void {
    this.lastLife = performance.now();
    this.starvedSince = undefined;
  }
}
