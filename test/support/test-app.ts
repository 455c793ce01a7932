import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig, type AppConfig } from '@orderops/core';
import { createApp } from '../../apps/api/src/app.factory.js';
import { LogCapture } from './log-capture.js';
import { ProbeModule } from './probe.module.js';

export interface TestApp {
  readonly app: NestFastifyApplication;
  readonly config: AppConfig;
  readonly logs: LogCapture;
  close(): Promise<void>;
}

/**
 * The whole API in this process, configured only from `env` (never the runner's own
 * environment, so nothing from the CI shell leaks into a case).
 */
export async function startTestApp(
  env: Record<string, string>,
  options: { probes?: boolean } = {},
): Promise<TestApp> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', ...env });
  const logs = new LogCapture();
  const app = await createApp(config, {
    logDestination: logs,
    extraImports: options.probes ? [ProbeModule] : [],
  });
  return { app, config, logs, close: () => app.close() };
}
