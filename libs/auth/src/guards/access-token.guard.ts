import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { ANONYMOUS_ACTOR, AuditService, type AuditActor } from '@orderops/audit';
import { AppError, IS_PUBLIC_KEY, recordRequestPrincipal } from '@orderops/core';
import type { FastifyRequest } from 'fastify';
import jwt from 'jsonwebtoken';
import { InsufficientScopeError, TokenInQueryError, UnauthenticatedError } from '../auth.errors.js';
import { REQUIRED_SCOPES_KEY } from '../decorators/require-scopes.decorator.js';
import type { Principal } from '../principal.js';
import type { Scope } from '../scopes.js';
import { TokenRejectedError } from '../tokens/access-token-verifier.js';
import { bearerTokenOf, hasAuthorizationHeader } from './bearer.js';
import { JWT_STRATEGY } from './jwt.strategy.js';

/** A route that declares neither @Public() nor @RequireScopes(): a mistake, never open. */
export class UndeclaredRouteError extends AppError {
  constructor() {
    super('undeclared-route', 403, 'Forbidden', { detail: 'This route has no access declaration.' });
  }
}

/** `auth.access.denied` is recorded once per principal, route and this many seconds. */
export const ACCESS_DENIED_AUDIT_WINDOW_SECONDS = 60;

/** Query parameters that carry tokens (RFC 6750 §2.3); refused wherever they appear. */
const TOKEN_QUERY_PARAMS = ['access_token', 'token', 'bearer'];

/**
 * The global guard: deny by default. Public routes pass; routes with @RequireScopes need a
 * valid bearer token with every listed scope; anything else is refused.
 */
interface RouteDeclaration {
  readonly isPublic: boolean;
  readonly required: readonly Scope[] | undefined;
}

@Injectable()
export class AccessTokenGuard extends AuthGuard(JWT_STRATEGY) {
  private readonly declarations = new WeakMap<object, RouteDeclaration>();

  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditService,
  ) {
    super();
  }

  /**
   * 403s are audited, at most once per principal, route and minute across all replicas (a
   * key per window in the database), so a client looping on a forbidden route cannot flood
   * the trail.
   */
  private async recordDenied(
    request: FastifyRequest,
    actor: AuditActor,
    reason: 'insufficient_scope' | 'undeclared_route',
    required: readonly Scope[],
    clientId?: string,
  ): Promise<void> {
    const route = `${request.method} ${request.routeOptions.url ?? '(no route)'}`.slice(0, 128);
    await this.audit.recordAloneOncePer(
      `${actor.type}:${actor.id}|${route}`,
      ACCESS_DENIED_AUDIT_WINDOW_SECONDS,
      {
        action: 'auth.access.denied',
        actor,
        outcome: 'denied',
        target: { type: 'route', id: route },
        details: { reason, requiredScopes: [...required], ...(clientId ? { clientId } : {}) },
      },
    );
  }

  /** A route's declaration, read once per handler: decorator metadata does not change after boot. */
  private declarationOf(context: ExecutionContext): RouteDeclaration {
    const handler = context.getHandler();
    let declaration = this.declarations.get(handler);
    if (declaration === undefined) {
      const targets = [handler, context.getClass()];
      declaration = {
        isPublic: this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets) === true,
        required: this.reflector.getAllAndOverride<Scope[] | undefined>(REQUIRED_SCOPES_KEY, targets),
      };
      this.declarations.set(handler, declaration);
    }
    return declaration;
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
    const query = (request.query ?? {}) as Record<string, unknown>;
    if (TOKEN_QUERY_PARAMS.some((name) => name in query)) throw new TokenInQueryError();

    const { isPublic, required } = this.declarationOf(context);
    if (isPublic) return true;
    if (required === undefined) {
      await this.recordDenied(request, ANONYMOUS_ACTOR, 'undeclared_route', []);
      throw new UndeclaredRouteError();
    }

    await super.canActivate(context);
    const principal = request.user;
    if (!principal) throw new UnauthenticatedError(hasAuthorizationHeader(request.headers));
    recordRequestPrincipal(request, `${principal.type}:${principal.id}`);
    const missing = required.filter((scope) => !principal.scopes.includes(scope));
    if (missing.length > 0) {
      const actor: AuditActor = { type: principal.type, id: principal.id };
      await this.recordDenied(request, actor, 'insufficient_scope', required, principal.clientId);
      throw new InsufficientScopeError(required);
    }
    return true;
  }

  /**
   * Passport reports a refused token through `info` (fail) and anything that went wrong
   * through `error`; a failing key lookup arrives as `info` too. Only a token we looked at
   * and refused is a 401: a database or pool error is rethrown for the filter (503), so
   * clients keep good tokens through an outage instead of re-logging in.
   */
  override handleRequest<TUser = Principal>(
    error: unknown,
    user: TUser | false,
    info: unknown,
    context: ExecutionContext,
  ): TUser {
    if (!error && user) return user;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const problem = error ?? info;
    if (
      problem instanceof Error &&
      !isTokenRejection(problem) &&
      bearerTokenOf(request.headers) !== undefined
    ) {
      throw problem;
    }
    throw new UnauthenticatedError(hasAuthorizationHeader(request.headers));
  }
}

/** A verdict on the token itself: its shape, signature, claims or standing. */
function isTokenRejection(problem: unknown): boolean {
  return problem instanceof TokenRejectedError || problem instanceof jwt.JsonWebTokenError;
}
