import type { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  buildOpenApiDocument,
  configureHttp,
  createHttpAdapter,
  setupDocs,
  type AppConfig,
} from '@orderops/core';
import { Logger } from 'nestjs-pino';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module.js';
import { APP_VERSION } from './version.js';

export interface CreateAppOptions {
  readonly logDestination?: DestinationStream;
  /** Serve /docs regardless of DOCS_ENABLED (used to generate openapi.json). */
  readonly forceDocs?: boolean;
  /** Extra modules mounted beside the API (test probes exercising the shared pipeline). */
  readonly extraImports?: ReadonlyArray<Type | DynamicModule>;
}

export function buildApiDocument(app: NestFastifyApplication): OpenAPIObject {
  return buildOpenApiDocument(app, APP_VERSION);
}

/** The checked-in form of the document: stable key order from the code, two-space JSON. */
export function serializeOpenApi(document: OpenAPIObject): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** The whole API, initialised and ready to listen; tests call it exactly as main does. */
export async function createApp(
  config: AppConfig,
  options: CreateAppOptions = {},
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ config, logDestination: options.logDestination, extraImports: options.extraImports }),
    createHttpAdapter(config),
    { bufferLogs: true, abortOnError: false },
  );
  app.useLogger(app.get(Logger));
  app.flushLogs();
  await configureHttp(app, config);
  if (config.http.docsEnabled || options.forceDocs) setupDocs(app, buildApiDocument(app));
  await app.init();
  return app;
}
