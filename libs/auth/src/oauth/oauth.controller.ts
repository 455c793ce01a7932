import { Ownership, OwnershipRule, Public, ALL_SCOPES } from '@orderops/access';
import { Body, Controller, Get, Header, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectConfig, StrictRateLimit, type AppConfig } from '@orderops/core';
import { rethrowAsOAuthError } from '../auth.errors.js';
import { SigningKeysService, type PublicJwk } from '../keys/signing-keys.service.js';
import { OAuthParams } from './oauth-params.js';
import { OAuthService, type IntrospectionResponse, type TokenResponse } from './oauth.service.js';
import { ApiIntrospectionResponse } from './introspection.docs.js';
import { ApiTokenEndpoint } from './token.docs.js';

const formBody = (properties: Record<string, { type: 'string'; enum?: string[] }>, required: string[]) =>
  ApiBody({ schema: { type: 'object', properties, required } });

@ApiTags('oauth')
@Public()
@Controller()
export class OAuthController {
  constructor(
    private readonly oauth: OAuthService,
    private readonly keys: SigningKeysService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  @Post('oauth/token')
  @HttpCode(200)
  @Header('Pragma', 'no-cache')
  // Per client address, on top of the per-account lockout (STRICT_RATE_LIMIT_PER_MINUTE).
  @StrictRateLimit()
  @ApiTokenEndpoint()
  token(
    @Headers('content-type') contentType: string | undefined,
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
  ): Promise<TokenResponse> {
    return this.oauth.token(OAuthParams.from(contentType, body), authorization).catch(rethrowAsOAuthError);
  }

  @Post('oauth/revoke')
  @HttpCode(200)
  @OwnershipRule(Ownership.IssuedToCaller)
  @ApiOperation({ summary: 'Revoke an access or refresh token (RFC 7009)' })
  @ApiConsumes('application/x-www-form-urlencoded')
  @formBody(
    {
      token: { type: 'string' },
      token_type_hint: { type: 'string', enum: ['access_token', 'refresh_token'] },
      client_id: { type: 'string' },
      client_secret: { type: 'string' },
    },
    ['token'],
  )
  async revoke(
    @Headers('content-type') contentType: string | undefined,
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
  ): Promise<void> {
    await this.oauth.revoke(OAuthParams.from(contentType, body), authorization).catch(rethrowAsOAuthError);
  }

  @Post('oauth/introspect')
  @HttpCode(200)
  @OwnershipRule(Ownership.IssuedToCaller)
  @ApiOperation({ summary: 'Introspect a token (RFC 7662); confidential clients only' })
  @ApiConsumes('application/x-www-form-urlencoded')
  @formBody({ token: { type: 'string' }, token_type_hint: { type: 'string' } }, ['token'])
  @ApiIntrospectionResponse()
  introspect(
    @Headers('content-type') contentType: string | undefined,
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
  ): Promise<IntrospectionResponse> {
    return this.oauth
      .introspect(OAuthParams.from(contentType, body), authorization)
      .catch(rethrowAsOAuthError);
  }

  @Get('.well-known/jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Public keys that verify access tokens (RFC 7517)' })
  @ApiOkResponse({ description: 'JWK Set' })
  jwks(): { keys: PublicJwk[] } {
    return this.keys.jwks();
  }

  @Get('.well-known/openid-configuration')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'OpenID Connect discovery: the metadata plus what ID tokens carry' })
  openidConfiguration(): Record<string, unknown> {
    return {
      ...this.metadata(),
      userinfo_endpoint: `${this.config.auth.issuer}/oauth/userinfo`,
      scopes_supported: ['openid', ...ALL_SCOPES],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      claims_supported: [
        'iss',
        'sub',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'nonce',
        'amr',
        'sid',
        'preferred_username',
      ],
    };
  }

  @Get('.well-known/oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Authorization server metadata (RFC 8414)' })
  metadata(): Record<string, unknown> {
    const issuer = this.config.auth.issuer;
    const grants = ['authorization_code', 'client_credentials', 'refresh_token'];
    if (this.config.auth.passwordGrantEnabled) grants.push('password');
    return {
      issuer,
      authorization_endpoint: `${issuer}/oauth/authorize`,
      // OpenID Connect RP-Initiated Logout 1.0, registered for authorization server metadata.
      end_session_endpoint: `${issuer}/oauth/logout`,
      token_endpoint: `${issuer}/oauth/token`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      grant_types_supported: grants,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      scopes_supported: ALL_SCOPES,
    };
  }
}
