import { IS_PUBLIC_KEY, REQUIRED_SCOPES_KEY, type Principal, type Scope } from '@orderops/access';
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ANONYMOUS_ACTOR, AuditService, type AuditActor } from '@orderops/audit';
import { RateLimitedError, RateLimiter, recordRequestPrincipal } from '@orderops/core';
import type { FastifyRequest } from 'fastify';
import {
  InsufficientScopeError,
  TokenInQueryError,
  TokenRejectedError,
  UnauthenticatedError,
  UndeclaredRouteError,
} from '../auth.errors.js';
import { AccessTokenVerifier } from '../tokens/access-token-verifier.js';
import { bearerTokenOf, hasAuthorizationHeader } from './bearer.js';

/** `auth.access.denied` is recorded once per principal, route and this many seconds. */
export const ACCESS_DENIED_AUDIT_WINDOW_SECONDS = 60;

/** Query parameters that carry tokens (RFC 6750 §2.3); refused wherever they appear. */
const TOKEN_QUERY_PARAMS = ['access_token', 'token', 'bearer'];

interface RouteDeclaration {
  readonly isPublic: boolean;
  readonly required: readonly Scope[] | undefined;
}

/**
 * The global guard: deny by default. Public routes pass; routes with @RequireScopes need a
 * valid bearer token with every listed scope; anything else is refused.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  private readonly declarations = new WeakMap<object, RouteDeclaration>();

  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditService,
    private readonly verifier: AccessTokenVerifier,
    private readonly limiter: RateLimiter,
  ) {}

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

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
    const query = (request.query ?? {}) as Record<string, unknown>;
    if (TOKEN_QUERY_PARAMS.some((name) => name in query)) throw new TokenInQueryError();

    const { isPublic, required } = this.declarationOf(context);
    if (isPublic) return true;
    if (required === undefined) {
      await this.recordDenied(request, ANONYMOUS_ACTOR, 'undeclared_route', []);
      throw new UndeclaredRouteError();
    }

    const principal = await this.principalOf(request);
    request.user = principal;
    const ref = `${principal.type}:${principal.id}`;
    recordRequestPrincipal(request, ref);
    const missing = required.filter((scope) => !principal.scopes.includes(scope));
    if (missing.length > 0) {
      const actor: AuditActor = { type: principal.type, id: principal.id };
      await this.recordDenied(request, actor, 'insufficient_scope', required, principal.clientId);
      throw new InsufficientScopeError(required);
    }
    // The per-principal limit, once the principal is known and allowed: applied here, the
    // one global guard, rather than in an interceptor (one rxjs layer less on every request).
    const wait = await this.limiter.forPrincipal(ref);
    if (wait > 0) throw new RateLimitedError(wait);
    return true;
  }

  /**
   * The bearer token's principal. Only a token we looked at and refused is a 401: a database
   * or pool error goes to the filter (503), so clients keep good tokens through an outage
   * instead of re-logging in.
   */
  private async principalOf(request: FastifyRequest): Promise<Principal> {
    const token = bearerTokenOf(request.headers);
    if (token === undefined) throw new UnauthenticatedError(hasAuthorizationHeader(request.headers));
    try {
      return (await this.verifier.verify(token)).principal;
    } catch (error) {
      if (error instanceof TokenRejectedError) throw new UnauthenticatedError(true);
      throw error;
    }
  }
}
