import { createPublicKey, type JsonWebKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  bearer,
  decodeJwt,
  passwordGrant,
  postForm,
  TEST_ADMIN_PASSWORD,
  TEST_OPERATOR_PASSWORD,
  tokenFor,
  type TokenBody,
} from '../support/auth.js';
import { useTestApp } from '../support/use-test-app.js';

describe('POST /oauth/token', () => {
  const t = useTestApp({
    env: { STRICT_RATE_LIMIT_PER_MINUTE: '10000' },
    operators: { reader: ['orders:read'] },
    clients: { Acme: ['orders:read', 'orders:write'] },
    signIn: [],
  });
  let admin: TokenBody;
  let partner: { clientId: string; clientSecret: string };
  beforeAll(() => {
    admin = t.grant('admin');
    partner = t.client('Acme');
  });

  describe('password grant', () => {
    it('returns an RFC 9068 access token whose kid is in the JWKS, and a refresh token', async () => {
      const res = await passwordGrant(t.app, 'admin', TEST_ADMIN_PASSWORD);
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const body = res.json<TokenBody>();
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 600 });
      expect(body.scope.split(' ')).toContain('admin');
      expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const { header, payload } = decodeJwt(body.access_token);
      expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
      const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{
        keys: (JsonWebKey & { kid: string })[];
      }>();
      const jwk = jwks.keys.find((k) => k.kid === header.kid);
      expect(jwk).toBeDefined();
      expect(Object.keys(jwk!).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);

      const verified = jwt.verify(body.access_token, createPublicKey({ key: jwk!, format: 'jwk' }), {
        algorithms: ['ES256'],
      }) as Record<string, unknown>;
      for (const claim of ['iss', 'aud', 'sub', 'client_id', 'scope', 'jti', 'iat', 'exp']) {
        expect(verified[claim], claim).toBeDefined();
      }
      expect(payload).toMatchObject({ iss: t.config.auth.issuer, client_id: 'orderops-web' });
      expect(payload.exp).toBe((payload.iat as number) + 600);
      // No personal data in tokens: the subject is an opaque id, not the username.
      expect(Object.values(payload)).not.toContain('admin');
      expect(Object.keys(payload).sort()).toEqual(
        ['aud', 'client_id', 'exp', 'gen', 'iat', 'iss', 'jti', 'scope', 'sub', 'sub_type'].sort(),
      );
      expect(payload.sub).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('narrows the token to the requested scope', async () => {
      const body = await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD, 'orders:read audit:read');
      expect(body.scope).toBe('orders:read audit:read');
      expect(decodeJwt(body.access_token).payload.scope).toBe('orders:read audit:read');
    });

    it.each([
      ['an unknown scope', 'orders:read launch:missiles'],
      ['a scope the operator does not hold', 'admin'],
    ])('refuses %s with invalid_scope', async (_, scope) => {
      const res = await passwordGrant(t.app, 'reader', TEST_OPERATOR_PASSWORD, { scope });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        error: 'invalid_scope',
        error_description: expect.any(String) as unknown,
      });
    });

    it('gives a wrong password and an unknown user the same answer', async () => {
      const wrong = await passwordGrant(t.app, 'reader', 'not-the-password-123');
      const unknown = await passwordGrant(t.app, 'nobody-here', 'not-the-password-123');
      expect(wrong.statusCode).toBe(400);
      expect(unknown.statusCode).toBe(400);
      expect(wrong.json()).toEqual({
        error: 'invalid_grant',
        error_description: 'Invalid username or password.',
      });
      expect(unknown.body).toBe(wrong.body);
      await tokenFor(t.app, 'reader', TEST_OPERATOR_PASSWORD); // resets the failure count
    });

    it('is refused to a client that is not first-party', async () => {
      const res = await postForm(
        t.app,
        '/oauth/token',
        { grant_type: 'password', username: 'reader', password: TEST_OPERATOR_PASSWORD },
        basic(partner.clientId, partner.clientSecret),
      );
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'unauthorized_client' });
    });
  });

  describe('request format', () => {
    it('refuses JSON with invalid_request', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        payload: {
          grant_type: 'password',
          client_id: 'orderops-web',
          username: 'admin',
          password: TEST_ADMIN_PASSWORD,
        },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_request' });
    });

    it('refuses a repeated parameter with invalid_request', async () => {
      const res = await postForm(t.app, '/oauth/token', {
        grant_type: 'password',
        client_id: 'orderops-web',
        username: ['admin', 'reader'],
        password: TEST_ADMIN_PASSWORD,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_request' });
      expect(res.body).not.toContain(TEST_ADMIN_PASSWORD);
    });

    it('refuses a missing grant_type and an unsupported one', async () => {
      const missing = await postForm(t.app, '/oauth/token', { client_id: 'orderops-web' });
      expect(missing.json()).toMatchObject({ error: 'invalid_request' });
      const other = await postForm(t.app, '/oauth/token', {
        grant_type: 'implicit',
        client_id: 'orderops-web',
      });
      expect(other.statusCode).toBe(400);
      expect(other.json()).toMatchObject({ error: 'unsupported_grant_type' });
    });

    it('answers an unknown client with 401 invalid_client', async () => {
      const res = await passwordGrant(t.app, 'admin', TEST_ADMIN_PASSWORD, { client_id: 'no-such-client' });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: 'invalid_client' });
    });
  });

  describe('client_credentials grant', () => {
    it('works with client_secret_basic', async () => {
      const res = await postForm(
        t.app,
        '/oauth/token',
        { grant_type: 'client_credentials' },
        basic(partner.clientId, partner.clientSecret),
      );
      expect(res.statusCode).toBe(200);
      const body = res.json<TokenBody>();
      expect(body.scope).toBe('orders:read orders:write');
      expect(body.refresh_token).toBeUndefined();
      expect(decodeJwt(body.access_token).payload).toMatchObject({
        sub: partner.clientId,
        client_id: partner.clientId,
      });
    });

    it('works with client_secret_post', async () => {
      const res = await postForm(t.app, '/oauth/token', {
        grant_type: 'client_credentials',
        client_id: partner.clientId,
        client_secret: partner.clientSecret,
        scope: 'orders:read',
      });
      expect(res.statusCode).toBe(200);
      expect(res.json<TokenBody>().scope).toBe('orders:read');
    });

    it('refuses both methods at once with invalid_request', async () => {
      const res = await postForm(
        t.app,
        '/oauth/token',
        {
          grant_type: 'client_credentials',
          client_id: partner.clientId,
          client_secret: partner.clientSecret,
        },
        basic(partner.clientId, partner.clientSecret),
      );
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_request' });
    });

    it.each([
      ['a wrong secret', () => basic(partner.clientId, 'wrong-secret')],
      ['an unknown client', () => basic('ptn_unknown', partner.clientSecret)],
      ['a malformed header', () => ({ authorization: 'Basic !!!' })],
    ])('answers %s with 401 invalid_client and WWW-Authenticate: Basic', async (_, headers) => {
      const res = await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, headers());
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="orderops"');
      expect(res.json()).toMatchObject({ error: 'invalid_client' });
    });

    it('is refused to a public client', async () => {
      const res = await postForm(t.app, '/oauth/token', {
        grant_type: 'client_credentials',
        client_id: 'orderops-web',
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'unauthorized_client' });
    });

    it('cannot get a scope the client does not hold', async () => {
      const res = await postForm(
        t.app,
        '/oauth/token',
        { grant_type: 'client_credentials', scope: 'admin' },
        basic(partner.clientId, partner.clientSecret),
      );
      expect(res.json()).toMatchObject({ error: 'invalid_scope' });
    });
  });

  describe('refresh_token grant', () => {
    const refresh = (token: string, extra: Record<string, string> = {}) =>
      postForm(t.app, '/oauth/token', {
        grant_type: 'refresh_token',
        client_id: 'orderops-web',
        refresh_token: token,
        ...extra,
      });

    it('rotates on every use', async () => {
      const first = await tokenFor(t.app, 'reader', TEST_OPERATOR_PASSWORD);
      const res = await refresh(first.refresh_token!);
      expect(res.statusCode).toBe(200);
      const second = res.json<TokenBody>();
      expect(second.refresh_token).toBeDefined();
      expect(second.refresh_token).not.toBe(first.refresh_token);
      expect(second.scope).toBe('orders:read');
      expect((await t.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    });

    it('revokes the whole family when a spent token is reused', async () => {
      const first = await tokenFor(t.app, 'reader', TEST_OPERATOR_PASSWORD);
      const second = (await refresh(first.refresh_token!)).json<TokenBody>();
      const reuse = await refresh(first.refresh_token!);
      expect(reuse.statusCode).toBe(400);
      expect(reuse.json()).toMatchObject({ error: 'invalid_grant' });
      // The legitimate successor dies with the family.
      expect((await refresh(second.refresh_token!)).json()).toMatchObject({ error: 'invalid_grant' });
    });

    it('is bound to its client', async () => {
      const first = await tokenFor(t.app, 'reader', TEST_OPERATOR_PASSWORD);
      const other = await refresh(first.refresh_token!, { client_id: 'orderops-docs' });
      expect(other.statusCode).toBe(400);
      expect(other.json()).toMatchObject({ error: 'invalid_grant' });
    });

    it('cannot widen the scope, but can narrow it', async () => {
      const first = await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD, 'orders:read orders:write');
      const wider = await refresh(first.refresh_token!, { scope: 'orders:read admin' });
      expect(wider.json()).toMatchObject({ error: 'invalid_scope' });
      const narrower = await refresh(first.refresh_token!, { scope: 'orders:read' });
      expect(narrower.statusCode).toBe(200);
      expect(narrower.json<TokenBody>().scope).toBe('orders:read');
    });

    it.each([
      ['idle', 'idle_expires_at'],
      ['absolute', 'family_expires_at'],
    ])('expires after its %s lifetime', async (_, column) => {
      const first = await tokenFor(t.app, 'reader', TEST_OPERATOR_PASSWORD);
      const ds = t.app.get(DataSource);
      await ds.query(
        `UPDATE refresh_tokens SET ${column === 'idle_expires_at' ? 'idle_expires_at' : 'family_expires_at'} = now() - interval '1 second'
          WHERE token_hash = encode(sha256($1::bytea), 'hex')`,
        [first.refresh_token],
      );
      expect((await refresh(first.refresh_token!)).json()).toMatchObject({ error: 'invalid_grant' });
    });

    it('stores only a hash of the refresh token', async () => {
      const first = await tokenFor(t.app, 'reader', TEST_OPERATOR_PASSWORD);
      const rows = await t.app
        .get(DataSource)
        .query<Record<string, unknown>[]>('SELECT * FROM refresh_tokens');
      expect(JSON.stringify(rows)).not.toContain(first.refresh_token);
    });
  });

  it('access tokens work on the admin API: 200 with admin, 401 without, 403 without the scope', async () => {
    const ok = await t.app.inject({
      method: 'GET',
      url: '/admin/operators',
      headers: bearer(admin.access_token),
    });
    expect(ok.statusCode).toBe(200);
    const none = await t.app.inject({ method: 'GET', url: '/admin/operators' });
    expect(none.statusCode).toBe(401);
    const reader = await tokenFor(t.app, 'reader', TEST_OPERATOR_PASSWORD);
    const forbidden = await t.app.inject({
      method: 'GET',
      url: '/admin/operators',
      headers: bearer(reader.access_token),
    });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.headers['www-authenticate']).toBe(
      'Bearer realm="orderops", error="insufficient_scope", scope="admin"',
    );
    expect(forbidden.headers['content-type']).toContain('application/problem+json');
  });
});
