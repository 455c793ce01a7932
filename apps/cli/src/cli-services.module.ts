import { Module, type DynamicModule } from '@nestjs/common';
import { AuditCoreModule, auditSchema } from '@orderops/audit';
import { AuthCoreModule, authSchema } from '@orderops/auth';
import { CoreModule, type AppConfig } from '@orderops/core';
import { OrdersImportModule, ordersSchema } from '@orderops/orders';
import { PiiCoreModule, piiSchema } from '@orderops/pii';

/** Every lib's tables, as the API lists them (test/schemas.e2e-spec.ts keeps the two equal). */
export const CLI_SCHEMAS = [authSchema, auditSchema, piiSchema, ordersSchema];

/** `migrate` needs core alone; every other command needs the schema current and the features. */
export type CliServiceScope = 'migrate' | 'features';

/**
 * The database and the feature services a command runs on, opened only once a command
 * actually runs (never for `--help`, `--version` or a mistyped command).
 */
@Module({})
export class CliServicesModule {
  static forRoot(config: AppConfig, scope: CliServiceScope): DynamicModule {
    // The CLI never migrates implicitly: `migrate` is the explicit step.
    const cliConfig = { ...config, database: { ...config.database, migrateOnStart: false } };
    const migrateOnly = scope === 'migrate';
    return {
      module: CliServicesModule,
      imports: [
        CoreModule.forRoot({
          config: cliConfig,
          schemas: CLI_SCHEMAS,
          requireCurrentSchema: !migrateOnly,
          // Beside the running API on the embedded database: use the socket it serves.
          attachToRunningInstance: true,
        }),
        ...(migrateOnly ? [] : [AuditCoreModule, AuthCoreModule, PiiCoreModule, OrdersImportModule]),
      ],
    };
  }
}
