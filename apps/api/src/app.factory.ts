import { OAUTH2_SECURITY_SCHEME, SCOPE_DESCRIPTIONS } from '@orderops/access';
import type { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuditErrorCode } from '@orderops/audit';
import { OrdersErrorCode } from '@orderops/orders';
import { PiiErrorCode } from '@orderops/pii';
import {
  buildOpenApiDocument,
  configureHttp,
  CoreErrorCode,
  documentProblems,
  problemCatalogue,
  type ProblemTypeEntry,
  createHttpAdapter,
  MetricsServer,
  setupDocs,
  type AppConfig,
} from '@orderops/core';
import { Logger } from 'nestjs-pino';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module.js';
import { AuthErrorCode, DOCS_CLIENT_ID, DOCS_REDIRECT_PATH } from '@orderops/auth';
import { APP_VERSION } from './version.js';

export interface CreateAppOptions {
  readonly logDestination?: DestinationStream;
  /** Serve /docs regardless of DOCS_ENABLED (used to generate openapi.json). */
  readonly forceDocs?: boolean;
  /** Extra modules mounted beside the API (test probes exercising the shared pipeline). */
  readonly extraImports?: ReadonlyArray<Type | DynamicModule>;
}

/** Every problem type the API can answer, from the code constants each lib declares. */
export const PROBLEM_CATALOGUE: readonly ProblemTypeEntry[] = problemCatalogue({
  core: CoreErrorCode,
  auth: AuthErrorCode,
  orders: OrdersErrorCode,
  pii: PiiErrorCode,
  audit: AuditErrorCode,
});

export function buildApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const document = buildOpenApiDocument(app, APP_VERSION, (builder) =>
    builder.addOAuth2(
      {
        type: 'oauth2',
        description:
          'Operators: authorization code with PKCE through the sign-in page (client orderops-docs). Partners: client credentials.',
        flows: {
          authorizationCode: {
            authorizationUrl: '/oauth/authorize',
            tokenUrl: '/oauth/token',
            scopes: { ...SCOPE_DESCRIPTIONS },
          },
          clientCredentials: { tokenUrl: '/oauth/token', scopes: { ...SCOPE_DESCRIPTIONS } },
        },
      },
      OAUTH2_SECURITY_SCHEME,
    ),
  );
  return documentProblems(document, PROBLEM_CATALOGUE);
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
    // Nest's own console logger never writes: its lines are buffered until the app's pino
    // logger takes over, and when creation fails they are dropped; the caller reports the
    // failure itself (main.ts: one line on stderr), never as Nest's coloured text.
    { bufferLogs: true, abortOnError: false, logger: false },
  );
  app.useLogger(app.get(Logger));
  app.flushLogs();
  configureHttp(app, config);
  if (config.http.docsEnabled || options.forceDocs) {
    // Swagger UI signs operators in like any browser frontend: authorization code + PKCE as
    // the public client orderops-docs, whose one redirect URI is the issuer's redirect page.
    setupDocs(app, buildApiDocument(app), {
      clientId: DOCS_CLIENT_ID,
      redirectUrl: `${config.auth.issuer}${DOCS_REDIRECT_PATH}`,
    });
  }
  await app.init();
  return app;
}

/**
 * Both listeners on the configured host: the API on PORT and, unless METRICS_ENABLED=false,
 * the Prometheus endpoint on METRICS_PORT. Either failing to bind fails the start.
 */
export async function listenApp(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  await app.listen({ port: config.http.port, host: config.http.host });
  await app.get(MetricsServer).listen();
}
