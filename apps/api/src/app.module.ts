import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { AuditModule, auditSchema } from '@orderops/audit';
import { AuthModule, authSchema } from '@orderops/auth';
import { CoreModule, type AppConfig } from '@orderops/core';
import { OrdersModule, ordersSchema } from '@orderops/orders';
import { PiiModule, piiSchema } from '@orderops/pii';
import type { DestinationStream } from 'pino';
import { HealthController } from './health/health.controller.js';

export interface AppModuleOptions {
  readonly config: AppConfig;
  readonly logDestination?: DestinationStream;
  readonly extraImports?: ReadonlyArray<Type | DynamicModule>;
}

/** Every lib's tables; the CLI lists the same (a test keeps them equal). */
export const APP_SCHEMAS = [authSchema, auditSchema, piiSchema, ordersSchema];

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot({
          config: options.config,
          schemas: APP_SCHEMAS,
          logDestination: options.logDestination,
        }),
        AuditModule,
        AuthModule,
        PiiModule,
        OrdersModule,
        ...(options.extraImports ?? []),
      ],
      // Probes are the API's concern; the CLI serves no HTTP.
      controllers: [HealthController],
    };
  }
}
