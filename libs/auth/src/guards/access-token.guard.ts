import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { AppError, IS_PUBLIC_KEY, recordRequestPrincipal } from '@orderops/core';
import type { FastifyRequest } from 'fastify';
import { InsufficientScopeError, TokenInQueryError, UnauthenticatedError } from '../auth.errors.js';
import { REQUIRED_SCOPES_KEY } from '../decorators/require-scopes.decorator.js';
import type { Principal } from '../principal.js';
import type { Scope } from '../scopes.js';
import { hasAuthorizationHeader } from './bearer.js';
import { JWT_STRATEGY } from './jwt.strategy.js';

/** A route that declares neither @Public() nor @RequireScopes(): a mistake, never open. */
export class UndeclaredRouteError extends AppError {
  constructor() {
    super('undeclared-route', 403, 'Forbidden', { detail: 'This route has no access declaration.' });
  }
}

/** Query parameters that carry tokens (RFC 6750 §2.3); refused wherever they appear. */
const TOKEN_QUERY_PARAMS = ['access_token', 'token', 'bearer'];

/**
 * The global guard: deny by default. Public routes pass; routes with @RequireScopes need a
 * valid bearer token with every listed scope; anything else is refused.
 */
@Injectable()
export class AccessTokenGuard extends AuthGuard(JWT_STRATEGY) {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
    const query = (request.query ?? {}) as Record<string, unknown>;
    if (TOKEN_QUERY_PARAMS.some((name) => name in query)) throw new TokenInQueryError();

    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;
    const required = this.reflector.getAllAndOverride<Scope[] | undefined>(REQUIRED_SCOPES_KEY, targets);
    if (required === undefined) throw new UndeclaredRouteError();

    await super.canActivate(context);
    const principal = request.user;
    if (!principal) throw new UnauthenticatedError(hasAuthorizationHeader(request.headers));
    recordRequestPrincipal(request, `${principal.type}:${principal.id}`);
    const missing = required.filter((scope) => !principal.scopes.includes(scope));
    if (missing.length > 0) throw new InsufficientScopeError(required);
    return true;
  }

  override handleRequest<TUser = Principal>(
    error: unknown,
    user: TUser | false,
    _info: unknown,
    context: ExecutionContext,
  ): TUser {
    if (error || !user) {
      const request = context.switchToHttp().getRequest<FastifyRequest>();
      throw new UnauthenticatedError(hasAuthorizationHeader(request.headers));
    }
    return user;
  }
}
