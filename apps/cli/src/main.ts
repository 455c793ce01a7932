import 'reflect-metadata';
import { AppError, ConfigError, loadConfig, type AppConfig } from '@orderops/core';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli.module.js';

function readConfig(): AppConfig {
  // Commands print their own results; routine info lines would only bury them.
  const env = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** Commander reports --help and --version through the error handler; they are not failures. */
const COMMANDER_INFO_CODES = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

function fail(error: unknown): void {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && COMMANDER_INFO_CODES.has(code)) return;
  const details =
    error instanceof AppError ? (error.errors ?? []).map((e) => ` ${e.field} ${e.message}`) : [];
  process.stderr.write(
    `orderops: ${error instanceof Error ? error.message : 'unknown error'}${details.join(';')}\n`,
  );
  process.exitCode = 1;
}

async function main(): Promise<void> {
  const config = readConfig();
  await CommandFactory.run(CliModule.forRoot(config, process.argv[2]), {
    logger: ['error', 'warn'],
    cliName: 'orderops',
    errorHandler: fail,
    serviceErrorHandler: fail,
  });
}

main().catch(fail);
