import { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { bearer } from '../support/auth.js';
import { storedEvents } from '../support/audit.js';
import { useTestApp } from '../support/use-test-app.js';

/**
 * Clients register where authorization codes may go and how they authenticate (issue 13 §1):
 * exact redirect URIs (https, or http to loopback only; no fragment; canonical form),
 * post-logout redirect URIs, and token_endpoint_auth_method. The built-in apps take theirs
 * from configuration.
 */

interface ClientBody {
  clientId: string;
  type: string;
  grantTypes: string[];
  tokenEndpointAuthMethod: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  clientSecret?: string | null;
}

interface ProblemBody {
  type: string;
  errors?: { field: string; code: string; message: string }[];
}

describe('client redirect URIs and token endpoint methods: /admin/clients', () => {
  const t = useTestApp({
    signIn: ['admin'],
    env: { ORDEROPS_WEB_REDIRECT_URIS: 'https://app.example.com/callback,http://localhost:5173/callback' },
  });
  let counter = 0;
  const create = (fields: Record<string, unknown>) =>
    t.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: bearer(t.token('admin')),
      payload: { name: `App ${++counter}`, scopes: ['orders:read'], ...fields },
    });
  const update = (clientId: string, fields: Record<string, unknown>) =>
    t.app.inject({
      method: 'PATCH',
      url: `/admin/clients/${clientId}`,
      headers: bearer(t.token('admin')),
      payload: fields,
    });
  const list = async () =>
    (await t.app.inject({ method: 'GET', url: '/admin/clients', headers: bearer(t.token('admin')) })).json<
      ClientBody[]
    >();

  describe('refuses redirect URIs that could leak a code', () => {
    it.each([
      ['plain http to a network host', 'http://app.example.com/callback', 'must be https'],
      ['a fragment', 'https://app.example.com/callback#done', 'fragment'],
      ['a wildcard host', 'https://*.example.com/callback', 'wildcard'],
      ['a relative URI', '/callback', 'absolute'],
      ['a custom scheme', 'javascript:alert(1)', 'https URI'],
      ['user information', 'https://u:p@app.example.com/cb', 'user information'],
      ['a non-canonical spelling', 'https://APP.example.com/callback', 'canonical'],
    ])('%s: 400 naming the position, not the value', async (_, uri, reason) => {
      const res = await create({ redirectUris: ['https://ok.example.com/cb', uri] });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const body = res.json<ProblemBody>();
      expect(body.errors).toEqual([
        expect.objectContaining({ field: 'redirectUris', code: 'invalid_format' }),
      ]);
      expect(body.errors?.[0].message).toContain('redirectUris[1]');
      expect(body.errors?.[0].message).toContain(reason);
      expect(res.body).not.toContain(uri);
    });

    it('refuses the same rule for post-logout redirect URIs', async () => {
      const res = await create({
        redirectUris: ['https://ok.example.com/cb'],
        postLogoutRedirectUris: ['http://ok.example.com/'],
      });
      expect(res.statusCode).toBe(400);
      expect(res.json<ProblemBody>().errors?.[0]).toMatchObject({ field: 'postLogoutRedirectUris' });
    });

    it.each([
      [
        'the password grant',
        { grantTypes: ['authorization_code', 'password'], redirectUris: ['https://a.example/cb'] },
      ],
      ['client_credentials for a public client', { tokenEndpointAuthMethod: 'none' }],
      ['the code flow without redirect URIs', { grantTypes: ['authorization_code'] }],
      [
        'redirect URIs on a machine client',
        { grantTypes: ['client_credentials'], redirectUris: ['https://a.example/cb'] },
      ],
      ['an unknown method', { tokenEndpointAuthMethod: 'private_key_jwt' }],
      [
        'more than ten redirect URIs',
        { redirectUris: Array.from({ length: 11 }, (_, i) => `https://a.example/${i}`) },
      ],
    ])('refuses %s with 400, creating nothing', async (_, fields) => {
      const before = (await list()).length;
      expect((await create(fields)).statusCode).toBe(400);
      expect((await list()).length).toBe(before);
    });
  });

  it('registers a public code-flow client: no secret, the URIs exactly as given', async () => {
    const res = await create({
      tokenEndpointAuthMethod: 'none',
      redirectUris: ['https://spa.example.com/callback', 'http://127.0.0.1/cb'],
      postLogoutRedirectUris: ['https://spa.example.com/'],
    });
    expect(res.statusCode).toBe(201);
    const body = res.json<ClientBody>();
    expect(body).toMatchObject({
      type: 'public',
      tokenEndpointAuthMethod: 'none',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: ['https://spa.example.com/callback', 'http://127.0.0.1/cb'],
      postLogoutRedirectUris: ['https://spa.example.com/'],
      clientSecret: null,
    });
    expect((await list()).find((c) => c.clientId === body.clientId)).toMatchObject({
      redirectUris: body.redirectUris,
      tokenEndpointAuthMethod: 'none',
    });
    const [event] = (await storedEvents(t.app.get(DataSource), 'admin.client.created')).filter(
      (e) => e.target_id === body.clientId,
    );
    // Methods and counts, never a URI.
    expect(event.details).toMatchObject({ authMethod: 'none', redirectUriCount: 2 });
    expect(JSON.stringify(event.details)).not.toContain('spa.example.com');
  });

  it('keeps a partner machine as before: confidential, client_credentials, a secret shown once', async () => {
    const body = (await create({})).json<ClientBody>();
    expect(body).toMatchObject({
      type: 'confidential',
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['client_credentials'],
      redirectUris: [],
    });
    expect(body.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  describe('PATCH /admin/clients/:clientId', () => {
    it('changes redirect URIs and the secret method, audited without the URIs', async () => {
      const { clientId } = (
        await create({ redirectUris: ['https://partner.example.com/cb'] })
      ).json<ClientBody>();
      const res = await update(clientId, {
        redirectUris: ['https://partner.example.com/cb2'],
        tokenEndpointAuthMethod: 'client_secret_post',
      });
      expect(res.statusCode).toBe(200);
      expect(res.json<ClientBody>()).toMatchObject({
        redirectUris: ['https://partner.example.com/cb2'],
        tokenEndpointAuthMethod: 'client_secret_post',
        type: 'confidential',
      });
      expect((await list()).find((c) => c.clientId === clientId)?.redirectUris).toEqual([
        'https://partner.example.com/cb2',
      ]);
      const events = (await storedEvents(t.app.get(DataSource), 'admin.client.updated')).filter(
        (e) => e.target_id === clientId,
      );
      expect(events).toHaveLength(1);
      expect(events[0].details).toMatchObject({ changed: ['redirectUris', 'authMethod'] });
      expect(JSON.stringify(events[0].details)).not.toContain('partner.example.com');
    });

    it.each([
      ['an invalid redirect URI', { redirectUris: ['https://partner.example.com/cb#x'] }],
      ['no redirect URI left for the code flow', { redirectUris: [] }],
      ['a confidential client turning public', { tokenEndpointAuthMethod: 'none' }],
    ])('refuses %s with 400 and changes nothing', async (_, fields) => {
      const { clientId } = (
        await create({ redirectUris: ['https://partner.example.com/cb'] })
      ).json<ClientBody>();
      expect((await update(clientId, fields)).statusCode).toBe(400);
      expect((await list()).find((c) => c.clientId === clientId)).toMatchObject({
        redirectUris: ['https://partner.example.com/cb'],
        tokenEndpointAuthMethod: 'client_secret_basic',
      });
    });

    it('answers 404 for an unknown client and 401 without a token', async () => {
      expect((await update('ptn_nobody', { redirectUris: [] })).statusCode).toBe(404);
      const anonymous = await t.app.inject({
        method: 'PATCH',
        url: '/admin/clients/orderops-web',
        payload: { redirectUris: [] },
      });
      expect(anonymous.statusCode).toBe(401);
    });

    it("refuses to set the built-in apps' redirect URIs (configuration owns them)", async () => {
      const res = await update('orderops-web', { redirectUris: ['https://evil.example.com/cb'] });
      expect(res.statusCode).toBe(409);
      expect(res.json<ProblemBody>().type).toBe('urn:orderops:problem:built-in-client');
    });
  });

  it('gives orderops-web the configured redirect URIs and orderops-docs its own oauth2-redirect page', async () => {
    const clients = await list();
    expect(clients.find((c) => c.clientId === 'orderops-web')).toMatchObject({
      type: 'public',
      tokenEndpointAuthMethod: 'none',
      redirectUris: ['https://app.example.com/callback', 'http://localhost:5173/callback'],
    });
    expect(clients.find((c) => c.clientId === 'orderops-web')?.grantTypes).toContain('authorization_code');
    expect(clients.find((c) => c.clientId === 'orderops-docs')).toMatchObject({
      tokenEndpointAuthMethod: 'none',
      redirectUris: [`${t.config.auth.issuer}/docs/oauth2-redirect.html`],
    });
  });
});

describe('the docs redirect page is served by the app itself', () => {
  const t = useTestApp({ env: { DOCS_ENABLED: 'true' }, signIn: [] });

  it('GET /docs/oauth2-redirect.html is Swagger UI’s page, from this origin', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/oauth2-redirect.html' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('oauth2');
    // No third-party origin: the page and its script come from the app.
    expect(res.body).not.toMatch(/src="https?:\/\//);
  });
});
