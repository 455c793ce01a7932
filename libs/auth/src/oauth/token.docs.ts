import { applyDecorators } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import type { OAuthErrorCode } from '../auth.errors.js';

/**
 * The OpenAPI description of `POST /oauth/token`, kept apart from the controller so the
 * contract of the endpoint reads in one place: its form parameters, its RFC 6749 §5.1
 * success body and its §5.2 error bodies, by status. These are what the code answers
 * (OAuthService, OAuthError); test/auth/oauth-token-docs.e2e-spec.ts holds them together.
 */

/** The grant types a client may name (the authorization code flow with PKCE for the sign-in page). */
export const DOCUMENTED_GRANT_TYPES = [
  'authorization_code',
  'password',
  'client_credentials',
  'refresh_token',
] as const;

/** RFC 6749 §5.1. */
export class OAuthTokenResponse {
  @ApiProperty({ description: 'a JWT (RFC 9068, `typ: at+jwt`); opaque to clients' })
  access_token!: string;

  @ApiProperty({ enum: ['Bearer'] })
  token_type!: 'Bearer';

  @ApiProperty({ type: 'integer', minimum: 1, example: 600, description: 'seconds the access token lives' })
  expires_in!: number;

  @ApiPropertyOptional({
    description:
      'opaque, single use: each refresh answers a new one (grants for operators and clients allowed to refresh)',
  })
  refresh_token?: string;

  @ApiProperty({ example: 'orders:read orders:write', description: 'the granted scopes, space-separated' })
  scope!: string;
}

/** RFC 6749 §5.2: the body of every error of the OAuth endpoints (never problem+json). */
export class OAuthErrorResponse {
  @ApiProperty({
    enum: [
      'invalid_request',
      'invalid_client',
      'invalid_grant',
      'unauthorized_client',
      'unsupported_grant_type',
      'invalid_scope',
      'temporarily_unavailable',
    ] satisfies OAuthErrorCode[],
  })
  error!: OAuthErrorCode;

  @ApiPropertyOptional({ description: 'fixed text for people; never echoes a submitted value' })
  error_description?: string;
}

/** The §5.2 codes each status of the token endpoint carries. */
export const TOKEN_ERRORS_BY_STATUS: Readonly<Record<400 | 401 | 503, readonly OAuthErrorCode[]>> = {
  400: ['invalid_request', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope'],
  401: ['invalid_client'],
  503: ['temporarily_unavailable'],
};

const NO_STORE = {
  'Cache-Control': { description: 'no-store', schema: { type: 'string' } },
  Pragma: { description: 'no-cache', schema: { type: 'string' } },
};

const STATUS_REASONS: Readonly<Record<keyof typeof TOKEN_ERRORS_BY_STATUS, string>> = {
  400: 'A malformed request, a refused grant (wrong password, spent or revoked refresh token, wrong code or code_verifier), a grant type the client may not use, or a scope it may not have',
  401: 'The client did not authenticate (unknown client, wrong secret); see WWW-Authenticate',
  503: 'The authorization server is temporarily unavailable; see Retry-After',
};

const EXTRA_HEADERS: Readonly<Record<keyof typeof TOKEN_ERRORS_BY_STATUS, Record<string, unknown>>> = {
  400: {},
  401: { 'WWW-Authenticate': { description: 'Basic realm="orderops"', schema: { type: 'string' } } },
  503: { 'Retry-After': { description: 'seconds', schema: { type: 'integer' } } },
};

const errorResponse = (status: keyof typeof TOKEN_ERRORS_BY_STATUS) =>
  ApiResponse({
    status,
    description: STATUS_REASONS[status],
    headers: { ...NO_STORE, ...EXTRA_HEADERS[status] },
    content: {
      'application/json': {
        schema: {
          allOf: [
            { $ref: getSchemaPath(OAuthErrorResponse) },
            {
              type: 'object',
              properties: { error: { type: 'string', enum: [...TOKEN_ERRORS_BY_STATUS[status]] } },
            },
          ],
        },
      },
    },
  });

/** Applied to the token handler: everything the document says about it. */
export const ApiTokenEndpoint = (): MethodDecorator =>
  applyDecorators(
    ApiOperation({
      summary:
        'Issue tokens (authorization_code with PKCE, client_credentials, refresh_token, legacy password grants; RFC 6749)',
      description:
        'Grants: `authorization_code` with PKCE (`code`, `redirect_uri`, `code_verifier`), `client_credentials`, ' +
        '`refresh_token`, and the legacy `password` grant (off in production). Clients authenticate with ' +
        '`client_secret_basic` (preferred) or `client_secret_post`; public clients send `client_id` alone.',
    }),
    ApiConsumes('application/x-www-form-urlencoded'),
    ApiBody({
      schema: {
        type: 'object',
        required: ['grant_type'],
        properties: {
          grant_type: { type: 'string', enum: [...DOCUMENTED_GRANT_TYPES] },
          client_id: { type: 'string', description: 'public clients, or with client_secret_post' },
          client_secret: { type: 'string', description: 'client_secret_post only; prefer HTTP Basic' },
          code: { type: 'string', description: 'authorization_code: the code from the sign-in redirect' },
          redirect_uri: {
            type: 'string',
            description: 'authorization_code: the redirect_uri of the authorization request',
          },
          code_verifier: {
            type: 'string',
            description: 'authorization_code: the PKCE verifier (RFC 7636) of the code challenge',
          },
          username: { type: 'string', description: 'password grant' },
          password: { type: 'string', description: 'password grant' },
          refresh_token: { type: 'string', description: 'refresh_token grant' },
          scope: {
            type: 'string',
            description: 'space-separated; left out: every scope the principal holds',
          },
        },
      },
    }),
    ApiExtraModels(OAuthErrorResponse),
    ApiOkResponse({ type: OAuthTokenResponse, headers: NO_STORE, description: 'RFC 6749 §5.1' }),
    errorResponse(400),
    errorResponse(401),
    errorResponse(503),
  );
