import { Module, type DynamicModule } from '@nestjs/common';
import { CoreModule, type AppConfig } from '@orderops/core';
import { MigrateCommand } from './commands/migrate.command.js';

@Module({})
export class CliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      // The CLI never migrates implicitly: `migrate` is the explicit step.
      imports: [
        CoreModule.forRoot({
          config: { ...config, database: { ...config.database, migrateOnStart: false } },
        }),
      ],
      providers: [MigrateCommand],
    };
  }
}
