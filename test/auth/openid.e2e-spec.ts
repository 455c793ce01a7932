import { createPublicKey, type JsonWebKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  clientTokenFor,
  createClient,
  decodeJwt,
  postForm,
  TEST_ADMIN_PASSWORD,
  TEST_OPERATOR_PASSWORD,
  type TokenBody,
} from '../support/auth.js';
import { authorizeQuery, pkce, signInThrough, type SignedIn } from '../support/sign-in.js';
import { useTestApp } from '../support/use-test-app.js';

/** OpenID Connect, the part frontends use (issue 13 §3): scope=openid yields an ID token. */

const REDIRECT = 'https://app.example.com/callback';

describe('OpenID Connect ID tokens and discovery', () => {
  const t = useTestApp({
    env: {
      ORDEROPS_WEB_REDIRECT_URIS: REDIRECT,
      STRICT_RATE_LIMIT_PER_MINUTE: '10000',
      RATE_LIMIT_PER_MINUTE: '10000',
    },
    operators: { clerk: ['orders:read'] },
    signIn: [],
  });
  let signedIn: SignedIn;

  const tokens = async (scope: string, extra: Record<string, string> = {}) => {
    const { verifier, challenge } = pkce();
    const res = await t.app.inject({
      method: 'GET',
      url: `/oauth/authorize?${authorizeQuery({
        response_type: 'code',
        client_id: 'orderops-web',
        redirect_uri: REDIRECT,
        scope,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        ...extra,
      })}`,
      headers: { cookie: signedIn.sessionCookie },
    });
    expect(res.statusCode, res.body).toBe(302);
    const code = new URL(String(res.headers.location)).searchParams.get('code') ?? '';
    const exchanged = await postForm(t.app, '/oauth/token', {
      grant_type: 'authorization_code',
      client_id: 'orderops-web',
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
    });
    expect(exchanged.statusCode, exchanged.body).toBe(200);
    return exchanged.json<TokenBody & { id_token?: string }>();
  };

  beforeAll(async () => {
    const query = authorizeQuery({
      response_type: 'code',
      client_id: 'orderops-web',
      redirect_uri: REDIRECT,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    });
    signedIn = await signInThrough(t.app, query, 'clerk', TEST_OPERATOR_PASSWORD);
  });

  it('no openid scope, no ID token', async () => {
    const body = await tokens('orders:read');
    expect(body.id_token).toBeUndefined();
    expect(body.scope).toBe('orders:read');
  });

  it('openid yields an ES256 ID token, verified with the JWKS, with the OIDC claims and the nonce', async () => {
    const body = await tokens('openid orders:read', { nonce: 'n-0S6_WzA2Mj' });
    expect(body.scope).toBe('openid orders:read');
    const idToken = body.id_token ?? '';
    const { header } = decodeJwt(idToken);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{
      keys: (JsonWebKey & { kid: string })[];
    }>();
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    const verified = jwt.verify(idToken, createPublicKey({ key: jwk!, format: 'jwk' }), {
      algorithms: ['ES256'],
      issuer: t.config.auth.issuer,
      audience: 'orderops-web',
    }) as Record<string, unknown>;
    expect(Object.keys(verified).sort()).toEqual(
      ['amr', 'aud', 'auth_time', 'exp', 'iat', 'iss', 'nonce', 'preferred_username', 'sid', 'sub'].sort(),
    );
    expect(verified).toMatchObject({
      sub: t.operator('clerk').id,
      nonce: 'n-0S6_WzA2Mj',
      amr: ['pwd'],
      preferred_username: 'clerk',
    });
    expect(verified.sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(verified.auth_time as number).toBeLessThanOrEqual(verified.iat as number);
    // The access token is what it was: no OIDC claim, no openid scope.
    expect(decodeJwt(body.access_token).payload.scope).toBe('orders:read');
  });

  it('an ID token is never accepted as an access token', async () => {
    const body = await tokens('openid');
    const res = await t.app.inject({ method: 'GET', url: '/me', headers: bearer(body.id_token ?? '') });
    expect(res.statusCode).toBe(401);
  });

  it('openid alone grants the API scopes client and operator both hold, as no scope does', async () => {
    const body = await tokens('openid');
    expect(body.scope).toBe('openid orders:read');
    expect(body.id_token).toBeTruthy();
  });

  it('refuses an over-long nonce with invalid_request to the client', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/oauth/authorize?${authorizeQuery({
        response_type: 'code',
        client_id: 'orderops-web',
        redirect_uri: REDIRECT,
        scope: 'openid',
        nonce: 'n'.repeat(257),
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
      })}`,
      headers: { cookie: signedIn.sessionCookie },
    });
    expect(new URL(String(res.headers.location)).searchParams.get('error')).toBe('invalid_request');
  });

  it('publishes /.well-known/openid-configuration matching what is implemented', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' });
    expect(res.statusCode).toBe(200);
    const issuer = t.config.auth.issuer;
    const doc = res.json<Record<string, unknown>>();
    expect(doc).toMatchObject({
      issuer,
      authorization_endpoint: `${issuer}/oauth/authorize`,
      token_endpoint: `${issuer}/oauth/token`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      end_session_endpoint: `${issuer}/oauth/logout`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      code_challenge_methods_supported: ['S256'],
    });
    expect(doc.scopes_supported).toContain('openid');
    expect(doc.userinfo_endpoint).toBe(`${issuer}/oauth/userinfo`);
  });

  it('UserInfo names the operator of a bearer token with the ID token’s sub, and nothing else', async () => {
    const body = await tokens('openid orders:read', { nonce: 'n-userinfo' });
    const idToken = decodeJwt(body.id_token ?? '').payload as { sub: string };
    const res = await t.app.inject({
      method: 'GET',
      url: '/oauth/userinfo',
      headers: bearer(body.access_token),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual({ sub: idToken.sub, preferred_username: 'clerk' });
  });

  it('UserInfo refuses a missing or invalid token (401) and a client token, which names no end-user (403)', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/oauth/userinfo' })).statusCode).toBe(401);
    const forged = await t.app.inject({
      method: 'GET',
      url: '/oauth/userinfo',
      headers: bearer('not.a.token'),
    });
    expect(forged.statusCode).toBe(401);
    const admin = await postForm(t.app, '/oauth/token', {
      grant_type: 'password',
      client_id: 'orderops-web',
      username: 'admin',
      password: TEST_ADMIN_PASSWORD,
      scope: 'admin',
    });
    const client = await createClient(t.app, admin.json<TokenBody>().access_token, 'UserInfo probe', [
      'orders:read',
    ]);
    const res = await t.app.inject({
      method: 'GET',
      url: '/oauth/userinfo',
      headers: bearer(await clientTokenFor(t.app, client)),
    });
    expect(res.statusCode).toBe(403);
    expect(res.json<{ type: string }>().type).toContain('operators-only');
  });
});
