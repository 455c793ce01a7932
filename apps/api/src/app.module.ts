import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { CoreModule, type AppConfig } from '@orderops/core';
import type { DestinationStream } from 'pino';

export interface AppModuleOptions {
  readonly config: AppConfig;
  readonly logDestination?: DestinationStream;
  readonly extraImports?: ReadonlyArray<Type | DynamicModule>;
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot({ config: options.config, schemas: [], logDestination: options.logDestination }),
        ...(options.extraImports ?? []),
      ],
    };
  }
}
