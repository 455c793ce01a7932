import { Module, type DynamicModule } from '@nestjs/common';
import { AuditCoreModule, auditSchema } from '@orderops/audit';
import { AuthCoreModule, authSchema } from '@orderops/auth';
import { CoreModule, type AppConfig } from '@orderops/core';
import { OrdersImportModule, ordersSchema } from '@orderops/orders';
import { PiiCoreModule, piiSchema } from '@orderops/pii';
import { AuditCheckpointCommand, AuditCommand, AuditVerifyCommand } from './commands/audit.command.js';
import { ClientsCommand, ClientsCreateCommand } from './commands/clients.command.js';
import { KeysCommand, KeysListCommand, KeysRotateCommand } from './commands/keys.command.js';
import { ImportCommand } from './commands/import.command.js';
import { MigrateCommand } from './commands/migrate.command.js';
import { OperatorsCommand, OperatorsCreateCommand } from './commands/operators.command.js';
import { PiiCommand, PiiRewrapCommand } from './commands/pii.command.js';

/** Every lib's tables, as the API lists them (test/schemas.e2e-spec.ts keeps the two equal). */
export const CLI_SCHEMAS = [authSchema, auditSchema, piiSchema, ordersSchema];

const FEATURE_COMMANDS = [
  OperatorsCommand,
  OperatorsCreateCommand,
  ClientsCommand,
  ClientsCreateCommand,
  KeysCommand,
  KeysRotateCommand,
  KeysListCommand,
  PiiCommand,
  PiiRewrapCommand,
  AuditCommand,
  AuditVerifyCommand,
  AuditCheckpointCommand,
  ImportCommand,
];

@Module({})
export class CliModule {
  /**
   * `migrate` runs on core alone, before any feature touches tables that may not exist yet;
   * every other command needs the schema current and the feature services.
   */
  static forRoot(config: AppConfig, command: string | undefined): DynamicModule {
    // The CLI never migrates implicitly: `migrate` is the explicit step.
    const cliConfig = { ...config, database: { ...config.database, migrateOnStart: false } };
    const migrateOnly = command === 'migrate';
    return {
      module: CliModule,
      imports: [
        CoreModule.forRoot({ config: cliConfig, schemas: CLI_SCHEMAS, requireCurrentSchema: !migrateOnly }),
        ...(migrateOnly ? [] : [AuditCoreModule, AuthCoreModule, PiiCoreModule, OrdersImportModule]),
      ],
      providers: [MigrateCommand, ...(migrateOnly ? [] : FEATURE_COMMANDS)],
    };
  }
}
