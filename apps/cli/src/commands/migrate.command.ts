import { Database } from '@orderops/core';
import type { Command } from 'commander';
import type { CliRuntime } from '../cli-runtime.js';

export function migrateCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('migrate')
    .description('Apply pending database migrations, then exit')
    .action(async () => {
      const database = await runtime.get(Database, 'migrate');
      // Refused (RunningInstanceMigrationError) when another process serves the database.
      const applied = await database.migrate();
      process.stdout.write(
        applied.length === 0
          ? 'Database schema is up to date.\n'
          : `Applied ${applied.length} migration(s):\n${applied.map((name) => `  ${name}\n`).join('')}`,
      );
    });
}
