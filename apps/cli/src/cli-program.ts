import { Command } from 'commander';
import type { CliRuntime } from './cli-runtime.js';
import { auditCommand } from './commands/audit.command.js';
import { clientsCommand } from './commands/clients.command.js';
import { importCommand } from './commands/import.command.js';
import { keysCommand } from './commands/keys.command.js';
import { migrateCommand } from './commands/migrate.command.js';
import { operatorsCommand } from './commands/operators.command.js';
import { piiCommand } from './commands/pii.command.js';
import { CLI_VERSION } from './version.js';

/**
 * The `orderops` command line: every command, on the runtime that opens the configuration
 * and the database only when one of them runs. Building it touches no file or database, so
 * `--help`, `--version` and a mistyped command need neither.
 */
export function buildProgram(runtime: CliRuntime): Command {
  const program = new Command('orderops')
    .version(CLI_VERSION)
    // Subcommands inherit both: commander throws instead of exiting (main closes the
    // runtime first), and its own errors read as one `orderops: ...` line.
    .exitOverride()
    .configureOutput({
      outputError: (message, write) => write(`orderops: ${message.replace(/^error: /, '')}`),
    });
  migrateCommand(program, runtime);
  operatorsCommand(program, runtime);
  clientsCommand(program, runtime);
  keysCommand(program, runtime);
  piiCommand(program, runtime);
  auditCommand(program, runtime);
  importCommand(program, runtime);
  return program;
}
