import { Module, type DynamicModule } from '@nestjs/common';
import { CoreModule, type AppConfig } from '@orderops/core';
import type { DestinationStream } from 'pino';

export interface AppModuleOptions {
  readonly config: AppConfig;
  readonly logDestination?: DestinationStream;
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot({ config: options.config, schemas: [], logDestination: options.logDestination }),
      ],
    };
  }
}
