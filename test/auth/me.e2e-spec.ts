import { describe, expect, it } from 'vitest';
import { basic, bearer, postForm, type TokenBody } from '../support/auth.js';
import { useTestApp } from '../support/use-test-app.js';

/** GET /me (issue 14 §4): any valid token learns who it is; nothing beyond what the token says. */

interface MeBody {
  id: string;
  kind: string;
  clientId: string;
  scopes: string[];
}

describe('GET /me', () => {
  const t = useTestApp({
    operators: { 'me-viewer': ['orders:read'] },
    clients: { 'Me Partner': ['orders:read', 'orders:write'] },
  });

  const me = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/me', headers });

  it('answers an operator with its id, kind, client and scopes, whatever its scopes', async () => {
    const res = await me(bearer(t.token('me-viewer')));
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<MeBody>();
    expect(body).toEqual({
      id: t.operator('me-viewer').id,
      kind: 'operator',
      clientId: 'orderops-web',
      scopes: ['orders:read'],
    });
    // Exactly these fields: no username, no token id, nothing from the operator's record.
    expect(Object.keys(body).sort()).toEqual(['clientId', 'id', 'kind', 'scopes']);
    expect(res.body).not.toContain('me-viewer');
  });

  it('answers a partner client as a client', async () => {
    const { clientId, clientSecret } = t.client('Me Partner');
    const grant = await postForm(
      t.app,
      '/oauth/token',
      { grant_type: 'client_credentials' },
      basic(clientId, clientSecret),
    );
    const res = await me(bearer(grant.json<TokenBody>().access_token));
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<MeBody>();
    expect(body).toMatchObject({ id: clientId, kind: 'client', clientId });
    expect([...body.scopes].sort()).toEqual(['orders:read', 'orders:write']);
    expect(res.body).not.toContain('Me Partner');
  });

  it('refuses a request without a token, and one with a bad token, as 401 problems', async () => {
    for (const headers of [{}, bearer('not-a-token')]) {
      const res = await me(headers);
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('refuses a revoked token', async () => {
    const token = t.token('me-viewer');
    expect((await me(bearer(token))).statusCode).toBe(200);
    const revoke = await postForm(t.app, '/oauth/revoke', { token, client_id: 'orderops-web' });
    expect(revoke.statusCode).toBe(200);
    expect((await me(bearer(token))).statusCode).toBe(401);
  });
});
