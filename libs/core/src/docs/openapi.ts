import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

export const OPENAPI_JSON_PATH = 'docs/openapi.json';

export type DocumentCustomizer = (builder: DocumentBuilder) => DocumentBuilder;

/**
 * The OpenAPI document of an initialised app. Deterministic for a given code base, so the
 * checked-in `openapi.json` can be compared with it in CI.
 */
export function buildOpenApiDocument(
  app: INestApplication,
  version: string,
  customize: DocumentCustomizer = (b) => b,
): OpenAPIObject {
  const builder = customize(
    new DocumentBuilder()
      .setTitle('OrderOps API')
      .setDescription(
        'Secure order operations. Errors are RFC 9457 application/problem+json documents carrying a requestId.',
      )
      .setVersion(version),
  );
  return SwaggerModule.createDocument(app, builder.build());
}

/** The OAuth client Swagger UI signs in as, and where the sign-in comes back to. */
export interface DocsOAuthClient {
  readonly clientId: string;
  readonly redirectUrl: string;
}

/** Serves Swagger UI at /docs with its assets from this app (no CDN) and the JSON beside it. */
export function setupDocs(app: INestApplication, document: OpenAPIObject, oauth?: DocsOAuthClient): void {
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    raw: ['json'],
    customSiteTitle: 'OrderOps API',
    swaggerOptions: {
      persistAuthorization: false,
      displayRequestDuration: true,
      ...(oauth
        ? {
            oauth2RedirectUrl: oauth.redirectUrl,
            initOAuth: { clientId: oauth.clientId, usePkceWithAuthorizationCodeGrant: true },
          }
        : {}),
    },
  });
}
