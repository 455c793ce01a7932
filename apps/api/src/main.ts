import 'reflect-metadata';
import { ConfigError, loadConfig, type AppConfig } from '@orderops/core';
import { createApp } from './app.factory.js';

/** SIGTERM must end the process within this budget even if draining stalls. */
const SHUTDOWN_DEADLINE_MS = 10_000;

function readConfig(): AppConfig {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const app = await createApp(config);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    // Fastify stops accepting, answers new requests on open connections with 503, waits for
    // in-flight ones, then Nest closes the pool and the embedded database.
    setTimeout(() => {
      process.stderr.write(`Shutdown after ${signal} exceeded ${SHUTDOWN_DEADLINE_MS} ms; exiting\n`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Shutdown failed: ${error instanceof Error ? error.name : 'unknown error'}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  await app.listen({ port: config.http.port, host: config.http.host });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `OrderOps failed to start: ${error instanceof Error ? error.message : 'unknown error'}\n`,
  );
  process.exit(1);
});
