import { Gauge, type Registry } from 'prom-client';
import { BoundCounter, BoundHistogram, type CounterSeries, type HistogramSeries } from './bound-metrics.js';
import type { PoolObserver } from '../database/pool-observer.js';
import { infrastructureFailureOf } from '../errors/infrastructure-failure.js';

/** What the connection pool holds at one instant. */
export interface PoolStats {
  readonly max: number;
  /** Connections open (idle or lent out). */
  readonly open: number;
  readonly idle: number;
  /** Callers waiting for a connection. */
  readonly waiting: number;
}

export const QUERY_ERROR_CLASSES = ['timeout', 'connection', 'constraint', 'other'] as const;
export type QueryErrorClass = (typeof QUERY_ERROR_CLASSES)[number];

/** Codes (from infrastructureFailureOf) that mean a bound ran out, ours or the server's. */
const TIMEOUT_CODES = new Set([
  '57014', // statement_timeout (query_canceled)
  '55P03', // lock_timeout
  '25P03', // idle_in_transaction_session_timeout
  'query-read-timeout',
  'pool-acquire-timeout',
  'connect-timeout',
  'ETIMEDOUT',
]);

/** Everything else infrastructureFailureOf names is the link to the server, except these. */
const NOT_CONNECTION_PREFIXES = ['53', '58', '40'];

/**
 * The class of a failed query, from its code alone: the message may quote SQL or values.
 * The set is closed, so the metric has four series whatever fails.
 */
export function queryErrorClassOf(error: unknown): QueryErrorClass {
  const failure = infrastructureFailureOf(error);
  if (failure !== undefined) {
    if (TIMEOUT_CODES.has(failure.code)) return 'timeout';
    return NOT_CONNECTION_PREFIXES.includes(failure.code.slice(0, 2)) ? 'other' : 'connection';
  }
  const code = (error as { code?: unknown; driverError?: { code?: unknown } } | null)?.code;
  const driverCode = (error as { driverError?: { code?: unknown } } | null)?.driverError?.code;
  const sqlState = typeof code === 'string' ? code : typeof driverCode === 'string' ? driverCode : '';
  return sqlState.startsWith('23') ? 'constraint' : 'other';
}

/**
 * Pool gauges read the pool at scrape time (nothing per query); the acquire histogram is a
 * bound series (observed per pool checkout, so per query outside a transaction); the error
 * counter is touched only when a query fails.
 */
export class DatabaseMetrics implements PoolObserver {
  private pool: (() => PoolStats) | undefined;
  private readonly errors: ReadonlyMap<QueryErrorClass, CounterSeries>;
  private readonly acquire: HistogramSeries;
  private readonly acquireTimeouts: CounterSeries;

  constructor(registry: Registry) {
    const stat = (name: string, help: string, read: (stats: PoolStats) => number): void => {
      const pool = (): (() => PoolStats) | undefined => this.pool;
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          const stats = pool()?.();
          if (stats !== undefined) this.set(read(stats));
        },
      });
    };
    stat('orderops_db_pool_max', 'Connections the pool may open (DATABASE_POOL_SIZE).', (s) => s.max);
    stat('orderops_db_pool_size', 'Connections the pool holds open.', (s) => s.open);
    stat(
      'orderops_db_pool_in_use',
      'Connections lent out to queries and transactions.',
      (s) => s.open - s.idle,
    );
    stat('orderops_db_pool_waiting', 'Callers waiting for a pool connection.', (s) => s.waiting);
    const errors = new BoundCounter(registry, {
      name: 'orderops_db_query_errors_total',
      help: 'Failed database queries and connection attempts, by class.',
      labelNames: ['class'],
    });
    this.errors = new Map(QUERY_ERROR_CLASSES.map((errorClass) => [errorClass, errors.labels(errorClass)]));
    this.acquire = new BoundHistogram(registry, {
      name: 'orderops_db_pool_acquire_seconds',
      help: 'Wait for a pool connection, opening one included (successful waits only).',
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5],
    }).labels();
    this.acquireTimeouts = new BoundCounter(registry, {
      name: 'orderops_db_pool_acquire_timeouts_total',
      help: 'Waits for a pool connection that ended at DATABASE_POOL_ACQUIRE_TIMEOUT_MS (or a connect timeout) without one.',
    }).labels();
  }

  acquired(seconds: number): void {
    this.acquire.observe(seconds);
  }

  /** A wait for a connection that failed counts as a failed query, by the same classes. */
  failed(error: unknown): void {
    this.queryFailed(error);
    if (queryErrorClassOf(error) === 'timeout') this.acquireTimeouts.inc();
  }

  /** The pool to report; called once the database is open. */
  watch(pool: () => PoolStats): void {
    this.pool = pool;
  }

  /** Bound, so the database layer can hold it as a plain callback. */
  readonly queryFailed = (error: unknown): void => {
    this.errors.get(queryErrorClassOf(error))?.inc();
  };
}
