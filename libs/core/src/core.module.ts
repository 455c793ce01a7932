import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import { DataSource } from 'typeorm';
import type { AppConfig } from './config/app-config.js';
import { APP_CONFIG } from './config/config.tokens.js';
import { coreSchema } from './database/core.schema.js';
import { Database, type DatabaseSchema } from './database/database.js';
import { SchemaBehindError } from './errors/core.errors.js';
import { ProblemDetailsFilter } from './errors/problem-details.filter.js';
import { HealthService } from './health/health.service.js';
import { createRootLogger, ROOT_LOGGER } from './logging/root-logger.js';
import { Metrics } from './metrics/metrics.js';
import { MetricsServer } from './metrics/metrics-server.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';
import { createValidationPipe } from './validation/validation.pipe.js';

export interface CoreModuleOptions {
  readonly config: AppConfig;
  /** The feature libs' tables; core's own are always included. */
  readonly schemas?: readonly DatabaseSchema[];
  /** Where log lines go; tests pass a collecting stream. Defaults to stdout. */
  readonly logDestination?: DestinationStream;
  /** Refuse to start when migrations are pending and not applied at start (default true). */
  readonly requireCurrentSchema?: boolean;
  /** On the embedded database, use the socket of a process already holding it (the CLI). */
  readonly attachToRunningInstance?: boolean;
}

export function mergeSchemas(schemas: readonly DatabaseSchema[]): DatabaseSchema {
  const all = [coreSchema, ...schemas];
  return {
    entities: all.flatMap((s) => s.entities as unknown[]) as DatabaseSchema['entities'],
    migrations: all.flatMap((s) => s.migrations),
  };
}

function schemaBehindMessage(database: Database): string {
  const running = database.runningInstance;
  return running
    ? `The database schema of the instance running as process ${running.holderPid} is behind this version: ` +
        'stop it, then run `orderops migrate`.'
    : 'The database schema is behind this version: run `orderops migrate` first.';
}

async function openDatabase(
  config: AppConfig,
  schema: DatabaseSchema,
  logger: PinoLogger,
  options: CoreModuleOptions,
  metrics: Metrics,
): Promise<Database> {
  const requireCurrentSchema = options.requireCurrentSchema ?? true;
  const database = await Database.open(config, schema, {
    attachToRunningInstance: options.attachToRunningInstance === true,
    onQueryError: metrics.database.queryFailed,
    poolObserver: metrics.database,
  });
  metrics.database.watch(() => database.poolStats());
  metrics.gauge(
    'orderops_db_pool_stalled_seconds',
    'How long callers have waited with no connection returned or handed out and no answer from the database (0: none waiting).',
    () => database.poolStall().stalledMs / 1000,
  );
  if (config.database.migrateOnStart && !database.runningInstance) {
    const applied = await database.migrate();
    if (applied.length > 0) logger.info({ migrations: applied }, 'Applied database migrations');
  } else if (requireCurrentSchema && (await database.hasPendingMigrations())) {
    await database.close();
    throw new SchemaBehindError(schemaBehindMessage(database));
  }
  logger.info({ embedded: database.isEmbedded }, 'Database connected');
  return database;
}

/**
 * Configuration, database, logging, errors, validation, metrics and the readiness check for the whole app.
 * Global, so feature modules inject AppConfig, DataSource and the logger without imports.
 */
@Module({})
export class CoreModule {
  static forRoot(options: CoreModuleOptions): DynamicModule {
    const { config } = options;
    const rootLogger = createRootLogger(config, options.logDestination);
    const schema = mergeSchemas(options.schemas ?? []);
    const metrics = new Metrics();
    return {
      module: CoreModule,
      global: true,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            logger: rootLogger,
            // The request line is written by the onResponse hook (route template, principal).
            autoLogging: false,
            quietReqLogger: true,
            customAttributeKeys: { reqId: 'requestId' },
          },
          // No per-request pino-http middleware: it cost a third of a request's time here.
          // Lines logged during a request get its id from the request context (mixin).
          forRoutes: [],
        }),
        RateLimitModule.forRoot(config, rootLogger, metrics),
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: ROOT_LOGGER, useValue: rootLogger },
        { provide: Metrics, useValue: metrics },
        {
          provide: MetricsServer,
          useValue: new MetricsServer(config, metrics, rootLogger.child({ context: 'Metrics' })),
        },
        {
          provide: Database,
          useFactory: () => openDatabase(config, schema, rootLogger, options, metrics),
        },
        { provide: DataSource, useFactory: (database: Database) => database.dataSource, inject: [Database] },
        HealthService,
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
      exports: [
        APP_CONFIG,
        ROOT_LOGGER,
        Database,
        DataSource,
        HealthService,
        Metrics,
        MetricsServer,
        RateLimitModule,
      ],
    };
  }
}
