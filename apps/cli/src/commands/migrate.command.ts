import { Database } from '@orderops/core';
import { Command, CommandRunner } from 'nest-commander';

@Command({ name: 'migrate', description: 'Apply pending database migrations, then exit' })
export class MigrateCommand extends CommandRunner {
  constructor(private readonly database: Database) {
    super();
  }

  async run(): Promise<void> {
    const applied = await this.database.migrate();
    process.stdout.write(
      applied.length === 0
        ? 'Database schema is up to date.\n'
        : `Applied ${applied.length} migration(s):\n${applied.map((name) => `  ${name}\n`).join('')}`,
    );
  }
}
