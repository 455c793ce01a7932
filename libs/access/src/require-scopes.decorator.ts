import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Scope } from './scopes.js';

export const REQUIRED_SCOPES_KEY = 'orderops:required-scopes';
export const OAUTH2_SECURITY_SCHEME = 'oauth2';

/**
 * The only way into a protected route: a valid bearer token carrying every listed scope.
 * Sets the guard's metadata and the route's OpenAPI security requirement together, so the
 * docs cannot drift from what is enforced.
 */
export const RequireScopes = (...scopes: Scope[]): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(REQUIRED_SCOPES_KEY, scopes),
    ApiSecurity(OAUTH2_SECURITY_SCHEME, scopes),
    ApiUnauthorizedResponse({ description: 'Missing, invalid, expired or revoked bearer token' }),
    ApiForbiddenResponse({ description: `Token lacks a required scope: ${scopes.join(' ') || '(none)'}` }),
  );
