import { Database } from '@orderops/core';
import { Command, CommandRunner } from 'nest-commander';
import { CliRuntime } from '../cli-runtime.js';

@Command({ name: 'migrate', description: 'Apply pending database migrations, then exit' })
export class MigrateCommand extends CommandRunner {
  constructor(private readonly runtime: CliRuntime) {
    super();
  }

  async run(): Promise<void> {
    const database = await this.runtime.get(Database, 'migrate');
    // Refused (RunningInstanceMigrationError) when another process serves the database.
    const applied = await database.migrate();
    process.stdout.write(
      applied.length === 0
        ? 'Database schema is up to date.\n'
        : `Applied ${applied.length} migration(s):\n${applied.map((name) => `  ${name}\n`).join('')}`,
    );
  }
}
