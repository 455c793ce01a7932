import { DataSource, type DataSourceOptions, type MigrationInterface, type MixedList } from 'typeorm';
import type { OnApplicationShutdown } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import type { ClientConfig, Pool, QueryResultRow } from 'pg';
import type { AppConfig, DatabaseConfig } from '../config/app-config.js';
import { DataDirLockedError, RunningInstanceMigrationError } from '../errors/core.errors.js';
import type { PoolStats } from '../metrics/database-metrics.js';
import { BoundedClient } from './bounded-client.js';
import { observePool, type PoolObserver } from './pool-observer.js';
import { PoolStallWatch, type PoolStallState } from './pool-stall.js';
import { NotificationListener, type NotificationHandlers } from './notification-listener.js';
import {
  EmbeddedDatabase,
  type EmbeddedConnection,
  type RunningInstanceConnection,
} from './embedded-database.js';

type EntityList = MixedList<string | (new () => unknown)>;
type MigrationClass = new () => MigrationInterface;

export interface DatabaseSchema {
  readonly entities: EntityList;
  readonly migrations: readonly MigrationClass[];
}

/** Connections beyond the pool that the embedded server accepts (a CLI session, a probe). */
const EMBEDDED_SPARE_CONNECTIONS = 4;
/** A process beside the running instance keeps within the spare connections it allows. */
const ATTACHED_POOL_SIZE = 2;
/**
 * How much longer than statement_timeout the client waits for an answer before it gives the
 * connection up: room for the server's own cancellation to arrive, which keeps the session.
 */
const QUERY_READ_GRACE_MS = 2_000;
/**
 * Hot reads are a handful of constant SQL texts; past this many, a text is run unprepared,
 * so that a caller passing varying SQL cannot pile up statements on every connection.
 */
const MAX_PREPARED_READS = 32;

function tlsOptions(database: DatabaseConfig): false | ConnectionOptions {
  if (database.sslMode === 'disable') return false;
  const verify = database.sslMode === 'verify-full';
  // `require` encrypts without checking who answers (libpq's meaning); only
  // `verify-full` checks the chain against the CA and the host name against the certificate.
  return verify ? { rejectUnauthorized: true, ca: database.sslCa } : { rejectUnauthorized: verify };
}

export interface DatabaseOpenOptions {
  /**
   * When another process holds the embedded data directory, connect to the socket it
   * serves instead of failing (the CLI beside the API). Migrations are then refused.
   */
  readonly attachToRunningInstance?: boolean;
  /** Told of every failed query (the metrics; it never logs). */
  readonly onQueryError?: (error: unknown) => void;
  /** Told of every wait for a pool connection, and of those that fail. */
  readonly poolObserver?: PoolObserver;
}

function connectionOptions(
  config: AppConfig,
  embedded: EmbeddedConnection | undefined,
): Partial<DataSourceOptions> {
  if (embedded) {
    const c = embedded;
    return { host: c.socketDir, port: c.port, username: c.user, database: c.database, ssl: false };
  }
  return { url: config.database.url?.reveal(), ssl: tlsOptions(config.database) };
}

/**
 * `pg` pool and connection settings so that no request waits forever: the server bounds
 * each statement, lock wait and idle transaction (startup parameters, set once per
 * connection at no extra round trip; the embedded PGlite accepts and ignores them, its
 * sessions live in this process); the client bounds the wait for a pool connection and for
 * any answer, so a connection whose peer vanished without a FIN is dropped, not reused.
 */
export function poolOptions(
  database: DatabaseConfig,
  onQueryError?: (error: unknown) => void,
  onAnswer?: () => void,
): Record<string, unknown> {
  return {
    onQueryError,
    onAnswer,
    max: database.poolSize,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: database.poolAcquireTimeoutMs,
    statement_timeout: database.statementTimeoutMs,
    lock_timeout: database.lockTimeoutMs,
    idle_in_transaction_session_timeout: database.idleInTransactionTimeoutMs,
    query_timeout: database.statementTimeoutMs + QUERY_READ_GRACE_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: database.keepAliveIdleMs,
    Client: BoundedClient,
  };
}

/** A PGlite server behind DATABASE_URL (pglite-socket over TCP) shares one session too. */
async function isPGlite(dataSource: DataSource): Promise<boolean> {
  const [row] = await dataSource.query<{ version: string }[]>('SELECT version() AS version');
  return row.version.includes('PGlite');
}

/**
 * The application's PostgreSQL: a TypeORM data source over the `pg` pool, pointed at a
 * real server from DATABASE_URL or at the embedded PGlite in the data directory.
 * Owns both lifetimes so shutdown closes the pool before the database under it.
 */
export class Database implements OnApplicationShutdown {
  private readonly preparedNames = new Map<string, string>();
  private readonly listeners: NotificationListener[] = [];

  private constructor(
    readonly dataSource: DataSource,
    private readonly embedded: EmbeddedDatabase | undefined,
    /** Every connection shares one session: PGlite, ours or one served over TCP. */
    private readonly sharedSession: boolean,
    /** Set when this process uses the embedded database another process serves. */
    readonly runningInstance: RunningInstanceConnection | undefined,
    private readonly stall: PoolStallWatch,
  ) {}

  get isEmbedded(): boolean {
    return this.embedded !== undefined || this.runningInstance !== undefined;
  }

  static async open(
    config: AppConfig,
    schema: DatabaseSchema,
    options: DatabaseOpenOptions = {},
  ): Promise<Database> {
    let embedded: EmbeddedDatabase | undefined;
    let running: RunningInstanceConnection | undefined;
    if (!config.database.url) {
      try {
        embedded = await EmbeddedDatabase.start(
          config.dataDir,
          config.database.poolSize + EMBEDDED_SPARE_CONNECTIONS,
        );
      } catch (error) {
        if (!(options.attachToRunningInstance === true && error instanceof DataDirLockedError)) throw error;
        running = EmbeddedDatabase.runningInstance(config.dataDir, error);
      }
    }
    const database = running
      ? { ...config.database, poolSize: Math.min(config.database.poolSize, ATTACHED_POOL_SIZE) }
      : config.database;
    const stall = new PoolStallWatch(config.database.poolStallLivenessMs);
    try {
      const dataSource = new DataSource({
        type: 'postgres',
        ...connectionOptions(config, embedded?.connection ?? running),
        applicationName: 'orderops',
        entities: schema.entities,
        migrations: [...schema.migrations],
        migrationsTableName: 'schema_migrations',
        migrationsTransactionMode: 'each',
        synchronize: false,
        migrationsRun: false,
        installExtensions: false,
        // gen_random_uuid() is built into PostgreSQL 13+; no extension is ever installed.
        uuidExtension: 'pgcrypto',
        logging: false,
        connectTimeoutMS: database.poolAcquireTimeoutMs,
        extra: poolOptions(database, options.onQueryError, stall.answered),
      } as DataSourceOptions);
      await dataSource.initialize();
      stall.attach((dataSource.driver as unknown as { master: Pool }).master);
      if (options.poolObserver) {
        observePool((dataSource.driver as unknown as { master: Pool }).master, options.poolObserver);
      }
      const shared = embedded !== undefined || running !== undefined || (await isPGlite(dataSource));
      return new Database(dataSource, embedded, shared, running, stall);
    } catch (error) {
      await embedded?.stop();
      throw error;
    }
  }

  /** Applies pending migrations; returns the names applied. */
  async migrate(): Promise<string[]> {
    if (this.runningInstance) throw new RunningInstanceMigrationError(this.runningInstance.holderPid);
    const applied = await this.dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  }

  async hasPendingMigrations(): Promise<boolean> {
    return this.dataSource.showMigrations();
  }

  /**
   * A read outside any transaction, straight on the `pg` pool: the hot read paths (token
   * checks, GET /orders/:id) skip TypeORM's per-query runner. Never inside a transaction.
   * `sql` is a constant: on PostgreSQL it becomes a named prepared statement, parsed and
   * planned once per connection (planning cost the server more than running these queries).
   */
  async read<T extends QueryResultRow>(sql: string, params: readonly unknown[]): Promise<T[]> {
    const pool = this.pool;
    const name = this.preparedNameFor(sql);
    const values = [...params];
    return (await pool.query<T>(name === undefined ? { text: sql, values } : { name, text: sql, values }))
      .rows;
  }

  /**
   * Undefined on PGlite: its connections share one session, where a
   * statement one connection prepared would collide with another connection preparing it.
   */
  private preparedNameFor(sql: string): string | undefined {
    if (this.sharedSession) return undefined;
    let name = this.preparedNames.get(sql);
    if (name === undefined && this.preparedNames.size < MAX_PREPARED_READS) {
      name = `orderops_read_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
      this.preparedNames.set(sql, name);
    }
    return name;
  }

  /**
   * Subscribes to a notification channel over a connection of its own, with the pool's
   * settings. False, and nothing is started, where every connection shares one session
   * (PGlite): there is no second session to deliver to.
   */
  listen(channel: string, handlers: NotificationHandlers): boolean {
    if (this.sharedSession) return false;
    const options = (this.pool as Pool & { options: ClientConfig }).options;
    const listener = new NotificationListener(
      { ...options, application_name: 'orderops-notifications' },
      channel,
      handlers,
    );
    this.listeners.push(listener);
    listener.start();
    return true;
  }

  private get pool(): Pool {
    return (this.dataSource.driver as unknown as { master: Pool }).master;
  }

  /** The pool's counts now (the metrics gauges read them at scrape time). */
  poolStats(): PoolStats {
    const pool = this.pool as Pool & { options: { max: number } };
    return { max: pool.options.max, open: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
  }

  /** Whether callers starve for connections that never come back (the liveness probe). */
  poolStall(): PoolStallState {
    return this.stall.state();
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  /** Nest calls this after the HTTP server has drained, so no request still needs the pool. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    try {
      await Promise.all(this.listeners.splice(0).map((listener) => listener.close()));
      if (this.dataSource.isInitialized) await this.dataSource.destroy();
    } finally {
      await this.embedded?.stop();
    }
  }
}
