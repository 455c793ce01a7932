import 'reflect-metadata';
import {
  ConfigError,
  createRootLogger,
  DOCS_PATH,
  loadConfig,
  METRICS_PATH,
  MetricsServer,
  reportTracingProblemsTo,
  ROOT_LOGGER,
  startTracing,
  stopTracing,
  type AppConfig,
} from '@orderops/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { createApp, listenApp } from './app.factory.js';
import { prettyDestination, readLogFormat, type LogFormat } from './log-format.js';

/** SIGTERM must end the process within this budget even if draining stalls. */
const SHUTDOWN_DEADLINE_MS = 10_000;

/**
 * A logger onto stderr, written synchronously: its lines come right before process.exit,
 * which would drop what an asynchronous destination still buffers. Scrubbed and redacted
 * like every other line.
 */
function stderrLogger(format: LogFormat, level: AppConfig['logLevel']): Logger {
  const destination = format === 'pretty' ? prettyDestination(2) : pino.destination({ dest: 2, sync: true });
  return createRootLogger({ logLevel: level === 'silent' ? 'fatal' : level }, destination);
}

/**
 * Why the process could not start, as one log line on stderr: JSON (or, with
 * LOG_FORMAT=pretty, one readable line). A configuration error lists the settings and the
 * rules they broke, never a value.
 */
function reportStartupFailure(
  error: unknown,
  format: LogFormat,
  level: AppConfig['logLevel'] = 'info',
): void {
  const log = stderrLogger(format, level).child({ context: 'Startup' });
  if (error instanceof ConfigError) {
    log.fatal(
      { problems: error.problems },
      `OrderOps failed to start: invalid configuration (${error.problems.map((p) => p.setting).join(', ')})`,
    );
  } else {
    log.fatal(
      { err: error },
      `OrderOps failed to start: ${error instanceof Error ? error.message : 'unknown error'}`,
    );
  }
}

/** A URL someone on this machine can open: a wildcard listen address is reached as localhost. */
function listeningUrl({ port }: AddressInfo, host: string): string {
  const name = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${name}:${port}`;
}

function announce(app: NestFastifyApplication, config: AppConfig): void {
  const url = listeningUrl(app.getHttpServer().address() as AddressInfo, config.http.host);
  const docsUrl = config.http.docsEnabled ? `${url}${DOCS_PATH}` : undefined;
  const metricsAddress = app.get(MetricsServer).address();
  const metricsUrl = metricsAddress && `${listeningUrl(metricsAddress, config.http.host)}${METRICS_PATH}`;
  app
    .get<Logger>(ROOT_LOGGER)
    .child({ context: 'Startup' })
    .info(
      { url, ...(docsUrl ? { docsUrl } : {}), ...(metricsUrl ? { metricsUrl } : {}) },
      `OrderOps listening on ${url}${docsUrl ? `; API docs at ${docsUrl}` : ''}` +
        `${metricsUrl ? `; metrics at ${metricsUrl}` : ''}`,
    );
}

async function main(format: LogFormat): Promise<void> {
  const config = loadConfig(process.env);
  // Before the app exists, so the pool's first connection already traces its queries.
  if (config.tracing.enabled) startTracing();
  let app: NestFastifyApplication;
  try {
    app = await createApp(config, format === 'pretty' ? { logDestination: prettyDestination(1) } : {});
  } catch (error) {
    reportStartupFailure(error, format, config.logLevel);
    process.exit(1);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    // Fastify stops accepting, answers new requests on open connections with 503, waits for
    // in-flight ones, then Nest closes the pool and the embedded database.
    const log = stderrLogger(format, config.logLevel).child({ context: 'Shutdown' });
    setTimeout(() => {
      log.fatal({ signal }, `Shutdown after ${signal} exceeded ${SHUTDOWN_DEADLINE_MS} ms; exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    app.close().then(
      // Spans still batched are sent before the process goes; a collector that does not
      // answer cannot hold the exit past the deadline above.
      () => stopTracing().finally(() => process.exit(0)),
      (error: unknown) => {
        // The error's name only, as before: a failure while closing may quote connection details.
        log.fatal({ errorType: error instanceof Error ? error.name : 'unknown' }, 'Shutdown failed');
        process.exit(1);
      },
    );
  };
  reportTracingProblemsTo(app.get<Logger>(ROOT_LOGGER));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  try {
    await listenApp(app, config);
  } catch (error) {
    reportStartupFailure(error, format, config.logLevel);
    process.exit(1);
  }
  announce(app, config);
}

let format: LogFormat = 'json';
try {
  format = readLogFormat(process.env);
  await main(format);
} catch (error) {
  reportStartupFailure(error, format);
  process.exit(1);
}
