import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli.module.js';
import { CliRuntime } from './cli-runtime.js';
import { failureMessage, failureExitCode } from './cli-failure.js';
import { CLI_VERSION } from './version.js';

/** Prints an error as one `orderops: ...` line (no stack) and sets the exit code. */
function fail(error: unknown): void {
  process.stderr.write(`orderops: ${failureMessage(error)}\n`);
  process.exitCode = failureExitCode(error);
}

async function main(): Promise<void> {
  // No command at all is a request for help, answered on stdout with exit 0.
  if (process.argv.length <= 2) process.argv.push('--help');
  const app = await CommandFactory.createWithoutRunning(CliModule, {
    logger: false,
    cliName: 'orderops',
    version: CLI_VERSION,
    // Commander has printed the error (or the help, or the version) and exits with its code.
    errorHandler: () => undefined,
    serviceErrorHandler: fail,
    outputConfiguration: {
      outputError: (message, write) => write(`orderops: ${message.replace(/^error: /, '')}`),
    },
  });
  try {
    await CommandFactory.runApplication(app);
  } finally {
    await app.get(CliRuntime).close();
    await app.close();
  }
}

main().catch(fail);
