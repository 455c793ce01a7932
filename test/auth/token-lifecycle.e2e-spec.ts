import { SigningKeysService } from '@orderops/auth';
import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  bearer,
  createClient,
  decodeJwt,
  passwordGrant,
  postForm,
  TEST_ADMIN_PASSWORD,
  TEST_OPERATOR_PASSWORD,
  tokenFor,
  type TokenBody,
} from '../support/auth.js';
import { startTestApp } from '../support/test-app.js';
import { provisionTestDatabase } from '../support/test-database.js';
import { useTestApp } from '../support/use-test-app.js';

describe('revocation, introspection, keys and metadata', () => {
  const t = useTestApp({
    env: { STRICT_RATE_LIMIT_PER_MINUTE: '10000' },
    operators: { lifecycle: ['orders:read'] },
    clients: { 'Resource server': ['orders:read'] },
    signIn: [],
  });
  let admin: TokenBody;
  let rs: { clientId: string; clientSecret: string };

  beforeAll(async () => {
    admin = t.grant('admin');
    rs = t.client('Resource server');
    // A confidential first-party client that signs operators in (a backend-for-frontend):
    // the tokens it introspects are its own (RFC 7662 §4).
    await t.app.get(DataSource).query(
      `UPDATE oauth_clients SET first_party = true, grant_types = ARRAY['password', 'refresh_token', 'client_credentials']
          WHERE client_id = $1`,
      [rs.clientId],
    );
  });

  /** Operator tokens issued to the resource server's own client. */
  const rsTokenFor = async (): Promise<TokenBody> => {
    const res = await postForm(
      t.app,
      '/oauth/token',
      { grant_type: 'password', username: 'lifecycle', password: TEST_OPERATOR_PASSWORD },
      basic(rs.clientId, rs.clientSecret),
    );
    expect(res.statusCode, res.body).toBe(200);
    return res.json<TokenBody>();
  };

  const introspect = (token: string, headers = basic(rs.clientId, rs.clientSecret)) =>
    postForm(t.app, '/oauth/introspect', { token }, headers);

  describe('POST /oauth/introspect', () => {
    it('describes an active access token', async () => {
      const token = await rsTokenFor();
      const res = await introspect(token.access_token);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        active: true,
        scope: 'orders:read',
        client_id: rs.clientId,
        token_type: 'Bearer',
        sub: decodeJwt(token.access_token).payload.sub,
      });
    });

    it('describes an active refresh token', async () => {
      const token = await rsTokenFor();
      expect((await introspect(token.refresh_token!)).json()).toMatchObject({
        active: true,
        token_type: 'refresh_token',
      });
    });

    it.each(['garbage', 'eyJhbGciOiJub25lIn0.e30.', ''.padEnd(43, 'A')])(
      'answers exactly {"active":false} for %s',
      async (token) => {
        const res = await introspect(token);
        expect(res.statusCode).toBe(200);
        expect(res.body).toBe('{"active":false}');
      },
    );

    it('requires an authenticated confidential client', async () => {
      const token = await tokenFor(t.app, 'lifecycle', TEST_OPERATOR_PASSWORD);
      const anonymous = await postForm(t.app, '/oauth/introspect', { token: token.access_token });
      expect(anonymous.statusCode).toBe(401);
      const publicClient = await postForm(t.app, '/oauth/introspect', {
        token: token.access_token,
        client_id: 'orderops-web',
      });
      expect(publicClient.statusCode).toBe(401);
      expect(publicClient.json()).toMatchObject({ error: 'invalid_client' });
      expect(publicClient.body).not.toContain('active');
    });
  });

  describe('POST /oauth/revoke', () => {
    it('answers 200 for an unknown token', async () => {
      const res = await postForm(t.app, '/oauth/revoke', {
        token: 'never-issued',
        client_id: 'orderops-web',
      });
      expect(res.statusCode).toBe(200);
    });

    it('revoking a refresh token kills its family', async () => {
      const first = await tokenFor(t.app, 'lifecycle', TEST_OPERATOR_PASSWORD);
      const refreshed = await postForm(t.app, '/oauth/token', {
        grant_type: 'refresh_token',
        client_id: 'orderops-web',
        refresh_token: first.refresh_token!,
      });
      const second = refreshed.json<TokenBody>();
      await postForm(t.app, '/oauth/revoke', {
        token: second.refresh_token!,
        token_type_hint: 'refresh_token',
        client_id: 'orderops-web',
      });
      const use = await postForm(t.app, '/oauth/token', {
        grant_type: 'refresh_token',
        client_id: 'orderops-web',
        refresh_token: second.refresh_token!,
      });
      expect(use.json()).toMatchObject({ error: 'invalid_grant' });
      expect((await introspect(second.refresh_token!)).body).toBe('{"active":false}');
    });

    it('does not let one client revoke another client’s token', async () => {
      const token = await tokenFor(t.app, 'lifecycle', TEST_OPERATOR_PASSWORD);
      const res = await postForm(
        t.app,
        '/oauth/revoke',
        { token: token.access_token },
        basic(rs.clientId, rs.clientSecret),
      );
      expect(res.statusCode).toBe(200);
      const use = await t.app.inject({ method: 'GET', url: '/orders', headers: bearer(token.access_token) });
      expect(use.statusCode).toBe(200);
    });

    it('revoking an access token makes introspection report it inactive', async () => {
      const token = await rsTokenFor();
      expect((await introspect(token.access_token)).json()).toMatchObject({ active: true });
      await postForm(
        t.app,
        '/oauth/revoke',
        { token: token.access_token },
        basic(rs.clientId, rs.clientSecret),
      );
      expect((await introspect(token.access_token)).body).toBe('{"active":false}');
    });
  });

  describe('signing keys', () => {
    it('rotation keeps the previous key verifying and publishes both', async () => {
      const before = await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD);
      const oldKid = decodeJwt(before.access_token).header.kid;
      const rotated = await t.app.inject({
        method: 'POST',
        url: '/admin/signing-keys/rotate',
        headers: bearer(before.access_token),
      });
      expect(rotated.statusCode).toBe(201);
      const { kid } = rotated.json<{ kid: string; retired: string[] }>();
      expect(kid).not.toBe(oldKid);

      const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{
        keys: { kid: string }[];
      }>();
      expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([kid, oldKid]));

      const after = await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD);
      expect(decodeJwt(after.access_token).header.kid).toBe(kid);
      for (const token of [before.access_token, after.access_token]) {
        const res = await t.app.inject({ method: 'GET', url: '/admin/signing-keys', headers: bearer(token) });
        expect(res.statusCode).toBe(200);
      }
      const list = (
        await t.app.inject({ method: 'GET', url: '/admin/signing-keys', headers: bearer(after.access_token) })
      ).json<{ kid: string; active: boolean; verifyUntil: string | null }[]>();
      const old = list.find((k) => k.kid === oldKid)!;
      expect(old.active).toBe(false);
      // Verifies at least as long as the longest token it could have signed.
      expect(new Date(old.verifyUntil!).getTime()).toBeGreaterThan(Date.now() + 3600 * 1000);
    });

    it('stores private keys sealed, never in the clear', async () => {
      const rows = await t.app
        .get(DataSource)
        .query<{ private_key_sealed: string }[]>('SELECT private_key_sealed FROM signing_keys');
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        expect(row.private_key_sealed).toMatch(/^ob1\.1\./);
        expect(row.private_key_sealed).not.toContain('PRIVATE KEY');
      }
    });

    it('stops verifying a retired key once its window has passed', async () => {
      const token = await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD);
      const kid = decodeJwt(token.access_token).header.kid as string;
      await t.app.inject({
        method: 'POST',
        url: '/admin/signing-keys/rotate',
        headers: bearer(token.access_token),
      });
      const ds = t.app.get(DataSource);
      await ds.query(`UPDATE signing_keys SET verify_until = now() - interval '1 second' WHERE kid = $1`, [
        kid,
      ]);
      await t.app.get(SigningKeysService).reload();
      const res = await t.app.inject({
        method: 'GET',
        url: '/admin/signing-keys',
        headers: bearer(token.access_token),
      });
      expect(res.statusCode).toBe(401);
      const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{
        keys: { kid: string }[];
      }>();
      expect(jwks.keys.map((k) => k.kid)).not.toContain(kid);
    });
  });

  it('publishes RFC 8414 metadata', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' });
    expect(res.statusCode).toBe(200);
    const issuer = t.config.auth.issuer;
    expect(res.json()).toMatchObject({
      issuer,
      token_endpoint: `${issuer}/oauth/token`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      authorization_endpoint: `${issuer}/oauth/authorize`,
      grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token', 'password'],
      // What /oauth/authorize implements, exactly (RFC 7636, RFC 9207).
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    });
  });

  it('a deleted client’s tokens stop working', async () => {
    const partner = await createClient(t.app, admin.access_token, 'Short-lived', ['orders:read']);
    const grant = await postForm(
      t.app,
      '/oauth/token',
      { grant_type: 'client_credentials' },
      basic(partner.clientId, partner.clientSecret),
    );
    const token = grant.json<TokenBody>().access_token;
    const own = basic(partner.clientId, partner.clientSecret);
    expect((await introspect(token, own)).json()).toMatchObject({ active: true });
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/admin/clients/${partner.clientId}`,
      headers: bearer(admin.access_token),
    });
    expect(del.statusCode).toBe(204);
    const use = await t.app.inject({ method: 'GET', url: '/orders', headers: bearer(token) });
    expect(use.statusCode).toBe(401);
    const again = await postForm(
      t.app,
      '/oauth/token',
      { grant_type: 'client_credentials' },
      basic(partner.clientId, partner.clientSecret),
    );
    expect(again.statusCode).toBe(401);
  });

  it('the password grant can be switched off', async () => {
    const other = await provisionTestDatabase();
    const off = await startTestApp({
      ...other.env,
      ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      OAUTH_PASSWORD_GRANT: 'false',
    });
    try {
      const res = await passwordGrant(off.app, 'admin', TEST_ADMIN_PASSWORD);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'unsupported_grant_type' });
      const meta = await off.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' });
      expect(meta.json<{ grant_types_supported: string[] }>().grant_types_supported).not.toContain(
        'password',
      );
    } finally {
      await off.close();
      await other.dispose();
    }
  });
});
