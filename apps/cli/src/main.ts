import 'reflect-metadata';
import { CommanderError } from 'commander';
import { buildProgram } from './cli-program.js';
import { CliRuntime } from './cli-runtime.js';
import { failureMessage, failureExitCode } from './cli-failure.js';

/** Prints an error as one `orderops: ...` line (no stack) and sets the exit code. */
function fail(error: unknown): void {
  process.stderr.write(`orderops: ${failureMessage(error)}\n`);
  process.exitCode = failureExitCode(error);
}

async function main(): Promise<void> {
  const runtime = new CliRuntime();
  // No command at all is a request for help, answered on stdout with exit 0.
  const argv = process.argv.length <= 2 ? [...process.argv, '--help'] : process.argv;
  try {
    await buildProgram(runtime).parseAsync(argv);
  } catch (error) {
    // Commander has printed the error (or the help, or the version); keep its exit code.
    if (error instanceof CommanderError) process.exitCode = error.exitCode;
    else fail(error);
  } finally {
    await runtime.close();
  }
}

main().catch(fail);
