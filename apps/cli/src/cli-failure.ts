import { AppError, ConfigError } from '@orderops/core';
import { CliError } from './cli.errors.js';

/**
 * Errors the CLI expects (a refusal, a bad input, a database that is not ready) are named by
 * class: their message is the whole story. Anything else is a fault of ours, still one line,
 * with the stack only when asked for (LOG_LEVEL=debug), since a stack helps no operator.
 */
const EXPECTED = new Set([
  'CliError',
  'DataDirLockedError',
  'RunningInstanceUnreachableError',
  'RunningInstanceMigrationError',
  'SchemaBehindError',
]);

function isExpected(error: unknown): boolean {
  return (
    error instanceof AppError ||
    error instanceof ConfigError ||
    (error instanceof Error && EXPECTED.has(error.name))
  );
}

/** Connection failures that mean the database is not there (as opposed to a bug). */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET']);

export function failureMessage(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  if (isExpected(error)) {
    // A field problem's message is worded for people; its code is for programs.
    const fields =
      error instanceof AppError ? (error.errors ?? []).map((e) => `${e.field}: ${e.message}`) : [];
    return fields.length > 0 ? fields.join('; ') : error.message;
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (code && UNREACHABLE_CODES.has(code)) return `cannot reach the database (${code}): ${error.message}`;
  if (process.env.LOG_LEVEL === 'debug' && error.stack) return error.stack;
  return `${error.message} (an unexpected error; LOG_LEVEL=debug prints its stack)`;
}

export function failureExitCode(error: unknown): number {
  return error instanceof CliError ? error.exitCode : 1;
}
