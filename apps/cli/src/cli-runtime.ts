import type { INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig, type AppConfig } from '@orderops/core';
import { CliError } from './cli.errors.js';
import { CliServicesModule, type CliServiceScope } from './cli-services.module.js';

function readConfig(): AppConfig {
  // Commands print their own results; routine info lines would only bury them.
  const env = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
}

/**
 * What a command runs on, made when a command first asks for a service: the configuration
 * (which may create the development secrets) and the database. Parsing the command line,
 * `--help` and `--version` therefore read no configuration and write no file.
 */
export class CliRuntime {
  private context: Promise<INestApplicationContext> | undefined;

  /** `type` is a provider class (some, such as Database, have a private constructor). */
  async get<T>(type: { prototype: T }, scope: CliServiceScope = 'features'): Promise<T> {
    this.context ??= NestFactory.createApplicationContext(CliServicesModule.forRoot(readConfig(), scope), {
      // Nest would log a startup failure with its stack; main prints it as one line instead.
      logger: false,
      abortOnError: false,
    });
    return (await this.context).get<unknown, T>(type as Type<unknown>);
  }

  async close(): Promise<void> {
    const context = await this.context?.catch(() => undefined);
    this.context = undefined;
    await context?.close();
  }
}
