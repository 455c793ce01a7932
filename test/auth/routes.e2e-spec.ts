import { REQUIRED_SCOPES_KEY, IS_PUBLIC_KEY, OWNERSHIP_KEY } from '@orderops/access';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { bearer, TEST_ADMIN_PASSWORD, tokenFor } from '../support/auth.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { provisionTestDatabase } from '../support/test-database.js';
import { useTestApp } from '../support/use-test-app.js';

/**
 * Who may call what (DESIGN §3), and which ownership rule the route applies: `owned` means
 * a client reaches only the orders, imports and customers it created (anything else is a
 * 404 like a missing id) while operators reach every owner's; `issued-to-caller` means a
 * client is answered only about tokens issued to it. A change here is a permission change:
 * review it as one, never refresh it blindly.
 */
const EXPECTED_ROUTES = [
  'GET /.well-known/jwks.json -> public',
  'GET /.well-known/oauth-authorization-server -> public',
  'GET /.well-known/openid-configuration -> public',
  'GET /admin/clients -> admin',
  'POST /admin/clients -> admin',
  'PATCH /admin/clients/:clientId -> admin',
  'DELETE /admin/clients/:clientId -> admin',
  'POST /admin/clients/:clientId/secret -> admin',
  'GET /admin/operators -> admin',
  'POST /admin/operators -> admin',
  'GET /admin/operators/:id -> admin',
  'PATCH /admin/operators/:id -> admin',
  'GET /admin/operators/:id/mfa -> admin',
  'DELETE /admin/operators/:id/mfa -> admin',
  'GET /admin/signing-keys -> admin',
  'POST /admin/signing-keys/rotate -> admin',
  'GET /audit/consistency -> audit:read',
  'GET /audit/events -> audit:read',
  'GET /audit/events/:seq/proof -> audit:read',
  'GET /audit/tree-head -> audit:read',
  'GET /audit/verify -> audit:read',
  'GET /customers/:id -> orders:read, owned',
  'DELETE /customers/:id/pii -> pii:erase, owned',
  'GET /customers/:id/export -> pii:export, owned',
  'POST /customers/:id/reveal -> pii:reveal, owned',
  'POST /customers/search -> orders:read, owned',
  'GET /health/live -> public',
  'GET /health/ready -> public',
  'GET /me -> (any token)',
  'GET /oauth/userinfo -> (any token)',
  'POST /me/password -> (any token)',
  'GET /oauth/authorize -> public',
  'POST /oauth/consent -> public',
  'POST /oauth/introspect -> public, issued-to-caller',
  'GET /oauth/logout -> public',
  'POST /oauth/logout -> public',
  'GET /orders -> orders:read, owned',
  'POST /orders -> orders:write, owned',
  'GET /orders/:id -> orders:read, owned',
  'PATCH /orders/:id -> orders:write, owned',
  'POST /orders/imports -> orders:import, owned',
  'GET /orders/imports/:id -> orders:import, owned',
  'GET /orders/imports/:id/orders -> orders:import, owned',
  'POST /oauth/revoke -> public, issued-to-caller',
  'POST /oauth/sign-in -> public',
  'POST /oauth/sign-in/code -> public',
  'POST /oauth/token -> public',
];

function declaredRoutes(t: TestApp): string[] {
  const scanner = new MetadataScanner();
  const reflector = t.app.get(Reflector);
  const routes: string[] = [];
  const controllers = [...t.app.get(ModulesContainer).values()].flatMap((m) => [...m.controllers.values()]);
  for (const wrapper of controllers) {
    const controller = wrapper.metatype as (new (...args: never[]) => object) | undefined;
    if (!controller || !wrapper.instance) continue;
    const prefix = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    const prototype = Object.getPrototypeOf(wrapper.instance) as Record<string, unknown>;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name] as (...args: unknown[]) => unknown;
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (path === undefined || method === undefined) continue;
      const full = `/${[prefix, path].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/');
      const isPublic = reflector.getAllAndOverride<boolean | undefined, string>(IS_PUBLIC_KEY, [
        handler,
        controller,
      ]);
      const scopes = reflector.getAllAndOverride<string[] | undefined, string>(REQUIRED_SCOPES_KEY, [
        handler,
        controller,
      ]);
      const access = isPublic ? 'public' : scopes ? scopes.join(' ') || '(any token)' : 'UNDECLARED';
      const ownership = Reflect.getMetadata(OWNERSHIP_KEY, handler) as string | undefined;
      routes.push(`${RequestMethod[method]} ${full} -> ${access}${ownership ? `, ${ownership}` : ''}`);
    }
  }
  return routes.sort();
}

describe('route declarations', () => {
  const t = useTestApp();

  it('every route declares who may call it, exactly as reviewed', () => {
    expect(declaredRoutes(t)).toEqual([...EXPECTED_ROUTES].sort());
  });

  it('a route without a declaration is refused, even to an admin token', async () => {
    const other = await provisionTestDatabase();
    const probe = await startTestApp(
      { ...other.env, ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD },
      { probes: true },
    );
    try {
      const token = await tokenFor(probe.app, 'admin', TEST_ADMIN_PASSWORD);
      expect(declaredRoutes(probe)).toContain('GET /probe-undeclared -> UNDECLARED');
      const res = await probe.app.inject({
        method: 'GET',
        url: '/probe-undeclared',
        headers: bearer(token.access_token),
      });
      expect(res.statusCode).toBe(403);
      expect(res.body).not.toContain('reached');
    } finally {
      await probe.close();
      await other.dispose();
    }
  });

  it('the OpenAPI document shows each protected route’s scopes and the OAuth2 flows', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/openapi.json' })).json<{
      paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
      components: {
        securitySchemes: Record<string, { flows: Record<string, { tokenUrl: string; scopes: object }> }>;
      };
    }>();
    expect(doc.paths['/admin/operators'].get.security).toEqual([{ oauth2: ['admin'] }]);
    expect(doc.paths['/health/live'].get.security).toBeUndefined();
    const flows = doc.components.securitySchemes.oauth2.flows;
    expect(Object.keys(flows).sort()).toEqual(['authorizationCode', 'clientCredentials']);
    expect(flows.authorizationCode.tokenUrl).toBe('/oauth/token');
    expect(Object.keys(flows.authorizationCode.scopes)).toHaveLength(8);
  });
});
