/**
 * An expected failure of a command, worded for the command line: main prints its message as
 * one line (no stack) and exits with its code.
 */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Why a file cannot be used, naming the path and the reason in the system's words. */
export function fileError(path: string, error: unknown): CliError {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'a part of the path is not a directory',
    ELOOP: 'too many symbolic links',
    ENAMETOOLONG: 'the name is too long',
  };
  const reason = (code && reasons[code]) ?? (error instanceof Error ? error.message : 'cannot be read');
  return new CliError(`cannot read ${path}: ${reason}`);
}
