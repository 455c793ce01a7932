import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import { storedEvents } from '../support/audit.js';
import { bearer, postForm, TEST_OPERATOR_PASSWORD, type TokenBody } from '../support/auth.js';
import { authorizeQuery, pkce, signInThrough, type SignedIn } from '../support/sign-in.js';
import { useTestApp } from '../support/use-test-app.js';

/**
 * GET /oauth/authorize and the authorization_code grant (issue 13 §1, §6), negatives first:
 * PKCE, redirect URI matching, state and iss, code binding, single use and what a second
 * use revokes. The sign-in page itself is test/auth/sign-in.e2e-spec.ts.
 */

const WEB = 'orderops-web';
const REDIRECT = 'https://app.example.com/callback';
const LOOPBACK = 'http://127.0.0.1/cb';

describe('authorization code + PKCE', () => {
  const t = useTestApp({
    env: {
      ORDEROPS_WEB_REDIRECT_URIS: `${REDIRECT},${LOOPBACK}`,
      STRICT_RATE_LIMIT_PER_MINUTE: '10000',
      RATE_LIMIT_PER_MINUTE: '10000',
    },
    operators: { clerk: ['orders:read', 'orders:write'] },
    signIn: ['admin'],
  });

  const authorize = (params: Record<string, string | string[]>, cookie?: string) =>
    t.app.inject({
      method: 'GET',
      url: `/oauth/authorize?${authorizeQuery(params)}`,
      headers: cookie ? { cookie } : {},
    });
  const request = (challenge: string, extra: Record<string, string> = {}) => ({
    response_type: 'code',
    client_id: WEB,
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st-42',
    ...extra,
  });
  const exchange = (code: string, verifier: string, extra: Record<string, string> = {}) =>
    postForm(t.app, '/oauth/token', {
      grant_type: 'authorization_code',
      client_id: WEB,
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      ...extra,
    });

  let signedIn: SignedIn;
  /** A fresh code for the clerk's session, with its verifier. */
  const code = async (extra: Record<string, string> = {}) => {
    const { verifier, challenge } = pkce();
    const res = await authorize(request(challenge, extra), signedIn.sessionCookie);
    expect(res.statusCode, res.body).toBe(302);
    const location = new URL(String(res.headers.location));
    return { code: location.searchParams.get('code') ?? '', verifier, location };
  };

  beforeAll(async () => {
    const { challenge } = pkce();
    signedIn = await signInThrough(
      t.app,
      authorizeQuery(request(challenge)),
      'clerk',
      TEST_OPERATOR_PASSWORD,
    );
  });

  /** Asserts an error page: HTML, no redirect anywhere. */
  const expectErrorPage = (res: Awaited<ReturnType<typeof authorize>>) => {
    expect(res.statusCode).toBe(400);
    expect(res.headers.location).toBeUndefined();
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  };

  /** Asserts an RFC 6749 §4.1.2.1 error redirect to `redirectUri`, with state and iss. */
  const expectErrorRedirect = (
    res: Awaited<ReturnType<typeof authorize>>,
    error: string,
    redirectUri = REDIRECT,
  ) => {
    expect(res.statusCode, res.body).toBe(302);
    const location = new URL(String(res.headers.location));
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    expect(location.searchParams.get('error')).toBe(error);
    expect(location.searchParams.get('state')).toBe('st-42');
    expect(location.searchParams.get('iss')).toBe(t.config.auth.issuer);
    expect(location.searchParams.get('code')).toBeNull();
  };

  describe('never redirects where the client did not register', () => {
    it.each([
      ['a prefix of the registered URI', 'https://app.example.com/call'],
      ['an extra path segment', 'https://app.example.com/callback/evil'],
      ['an extra query', 'https://app.example.com/callback?next=https://evil.example'],
      ['a different port (not loopback)', 'https://app.example.com:8443/callback'],
      ['a different case', 'https://app.example.com/Callback'],
      ['an upper-case host', 'https://APP.example.com/callback'],
      ['a fragment', 'https://app.example.com/callback#x'],
      ['http instead of https', 'http://app.example.com/callback'],
      ['another host', 'https://evil.example/callback'],
      ['a userinfo trick', 'https://app.example.com@evil.example/callback'],
      ['loopback with another path', 'http://127.0.0.1:5000/other'],
      ['loopback under another name', 'http://localhost:5000/cb'],
    ])('%s: an error page', async (_, redirectUri) => {
      const { challenge } = pkce();
      expectErrorPage(
        await authorize(request(challenge, { redirect_uri: redirectUri }), signedIn.sessionCookie),
      );
    });

    it('an unknown or missing client_id: an error page', async () => {
      const { challenge } = pkce();
      expectErrorPage(await authorize(request(challenge, { client_id: 'ptn_nobody' })));
      const { client_id: _omit, ...withoutClient } = request(challenge);
      expectErrorPage(await authorize(withoutClient));
    });

    it('a missing redirect_uri when the client has several: an error page', async () => {
      const { challenge } = pkce();
      const { redirect_uri: _omit, ...rest } = request(challenge);
      expectErrorPage(await authorize(rest, signedIn.sessionCookie));
    });

    it('a repeated redirect_uri or client_id: an error page', async () => {
      const { challenge } = pkce();
      expectErrorPage(await authorize({ ...request(challenge), redirect_uri: [REDIRECT, REDIRECT] }));
      expectErrorPage(await authorize({ ...request(challenge), client_id: [WEB, WEB] }));
    });

    it('does not echo the unregistered URI into the page', async () => {
      const { challenge } = pkce();
      const res = await authorize(request(challenge, { redirect_uri: 'https://evil.example/<script>' }));
      expectErrorPage(res);
      expect(res.body).not.toContain('evil.example');
      expect(res.body).not.toContain('<script>');
    });
  });

  describe('errors go back to a valid redirect_uri, with state and iss', () => {
    it.each([
      ['a missing code_challenge', { code_challenge: '' }, 'invalid_request'],
      ['code_challenge_method plain', { code_challenge_method: 'plain' }, 'invalid_request'],
      [
        'a missing code_challenge_method (plain by default)',
        { code_challenge_method: '' },
        'invalid_request',
      ],
      ['a malformed challenge', { code_challenge: 'short' }, 'invalid_request'],
      ['response_type token', { response_type: 'token' }, 'unsupported_response_type'],
      ['response_type id_token', { response_type: 'code id_token' }, 'unsupported_response_type'],
      ['an unknown scope', { scope: 'orders:read launch:missiles' }, 'invalid_scope'],
      ['a scope the operator does not hold', { scope: 'admin' }, 'invalid_scope'],
    ])('%s -> %s', async (_, change, error) => {
      const { challenge } = pkce();
      expectErrorRedirect(await authorize(request(challenge, change), signedIn.sessionCookie), error);
    });

    it('a repeated parameter -> invalid_request', async () => {
      const { challenge } = pkce();
      const res = await authorize({ ...request(challenge), scope: ['orders:read', 'orders:write'] });
      expectErrorRedirect(res, 'invalid_request');
    });
  });

  describe('success', () => {
    it('redirects with a 256-bit code, state unchanged and iss', async () => {
      const state = 'a b+c/d?e=f&g';
      const { location } = await code({ state });
      expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
      expect(location.searchParams.get('state')).toBe(state);
      expect(location.searchParams.get('iss')).toBe(t.config.auth.issuer);
      expect(location.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it('omits state when none was sent', async () => {
      const { challenge } = pkce();
      const { state: _omit, ...rest } = request(challenge);
      const res = await authorize(rest, signedIn.sessionCookie);
      expect(new URL(String(res.headers.location)).searchParams.has('state')).toBe(false);
    });

    it('accepts a loopback redirect URI on any port (RFC 8252 §7.3)', async () => {
      const { location } = await code({ redirect_uri: 'http://127.0.0.1:49152/cb' });
      expect(location.origin).toBe('http://127.0.0.1:49152');
      expect(location.searchParams.get('code')).toBeTruthy();
    });

    it('stores only a hash of the code', async () => {
      const { code: issued } = await code();
      const rows = await t.app
        .get(DataSource)
        .query<{ code_hash: string }[]>('SELECT code_hash FROM authorization_codes');
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.map((r) => r.code_hash)).not.toContain(issued);
      expect(JSON.stringify(rows)).not.toContain(issued);
    });

    it('exchanges the code for tokens that call the API, scoped to what was asked and held', async () => {
      const { code: issued, verifier } = await code({ scope: 'orders:read' });
      const res = await exchange(issued, verifier);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const body = res.json<TokenBody>();
      expect(body).toMatchObject({ token_type: 'Bearer', scope: 'orders:read' });
      expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const orders = await t.app.inject({
        method: 'GET',
        url: '/orders',
        headers: bearer(body.access_token),
      });
      expect(orders.statusCode).toBe(200);
      const write = await t.app.inject({
        method: 'POST',
        url: '/orders',
        headers: bearer(body.access_token),
        payload: {},
      });
      expect(write.statusCode).toBe(403);
      // Public clients' refresh tokens rotate as with every other grant.
      const refreshed = await postForm(t.app, '/oauth/token', {
        grant_type: 'refresh_token',
        client_id: WEB,
        refresh_token: body.refresh_token ?? '',
      });
      expect(refreshed.statusCode).toBe(200);
      expect(refreshed.json<TokenBody>().refresh_token).not.toBe(body.refresh_token);
      const [event] = (await storedEvents(t.app.get(DataSource), 'auth.token.issued')).filter(
        (e) => e.details.grant === 'authorization_code',
      );
      expect(event.details).toMatchObject({ clientId: WEB, scopes: ['orders:read'] });
    });

    it('without a scope, grants what client and operator both hold', async () => {
      const { code: issued, verifier } = await code();
      const body = (await exchange(issued, verifier)).json<TokenBody>();
      expect(body.scope.split(' ').sort()).toEqual(['orders:read', 'orders:write']);
    });

    it('lets a public client name itself with Basic and an empty secret, without a Basic challenge', async () => {
      const { code: issued, verifier } = await code();
      const res = await postForm(
        t.app,
        '/oauth/token',
        { grant_type: 'authorization_code', code: issued, code_verifier: verifier, redirect_uri: REDIRECT },
        { authorization: `Basic ${Buffer.from(`${WEB}:`).toString('base64')}` },
      );
      expect(res.statusCode, res.body).toBe(200);
    });

    it('never answers a public client by id with a Basic challenge', async () => {
      const res = await postForm(t.app, '/oauth/token', {
        grant_type: 'authorization_code',
        client_id: 'ptn_nobody',
        code: 'x',
        code_verifier: pkce().verifier,
      });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBeUndefined();
    });
  });

  describe('the code exchange refuses', () => {
    it.each([
      [
        'a wrong verifier',
        (v: string) => ({ code_verifier: `${v.slice(0, -1)}${v.endsWith('A') ? 'B' : 'A'}` }),
      ],
      ['the challenge itself as verifier', () => ({ code_verifier: 'x'.repeat(43) })],
      ['another redirect_uri', () => ({ redirect_uri: 'http://127.0.0.1/cb' })],
      ['no redirect_uri when the request had one', () => ({ redirect_uri: '' })],
      ['another client', () => ({ client_id: 'orderops-docs' })],
    ])('%s, with invalid_grant, and the code is spent', async (_, change) => {
      const { code: issued, verifier } = await code();
      const res = await exchange(issued, verifier, change(verifier));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        error: 'invalid_grant',
        error_description: 'The authorization code is invalid, expired or already used.',
      });
      // Single use, whatever the outcome: the right request now fails too.
      expect((await exchange(issued, verifier)).json()).toMatchObject({ error: 'invalid_grant' });
    });

    it('a missing or malformed code_verifier, with invalid_request', async () => {
      const { code: issued } = await code();
      expect((await exchange(issued, '')).json()).toMatchObject({ error: 'invalid_request' });
      expect((await exchange(issued, 'too-short')).json()).toMatchObject({ error: 'invalid_request' });
    });

    it('an unknown code', async () => {
      expect((await exchange('A'.repeat(43), pkce().verifier)).json()).toMatchObject({
        error: 'invalid_grant',
      });
    });

    it('an expired code (older than 60 s)', async () => {
      const { code: issued, verifier } = await code();
      await t.app
        .get(DataSource)
        .query(
          `UPDATE authorization_codes SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`,
        );
      expect((await exchange(issued, verifier)).json()).toMatchObject({ error: 'invalid_grant' });
    });

    it('a code whose session ended', async () => {
      const { challenge, verifier } = pkce();
      const other = await signInThrough(
        t.app,
        authorizeQuery(request(challenge)),
        'clerk',
        TEST_OPERATOR_PASSWORD,
      );
      const issued = other.location.searchParams.get('code') ?? '';
      await t.app.get(DataSource).query(`UPDATE auth_sessions SET revoked_at = now() WHERE revoked_at IS NULL
        AND id = (SELECT session_id FROM authorization_codes WHERE used_at IS NULL ORDER BY created_at DESC LIMIT 1)`);
      expect((await exchange(issued, verifier)).json()).toMatchObject({ error: 'invalid_grant' });
    });

    it('two concurrent uses: one wins, and the other revokes what it got', async () => {
      const { code: issued, verifier } = await code();
      const results = await Promise.all([exchange(issued, verifier), exchange(issued, verifier)]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 400]);
      const winner = results.find((r) => r.statusCode === 200)?.json<TokenBody>();
      const api = await t.app.inject({
        method: 'GET',
        url: '/orders',
        headers: bearer(winner?.access_token ?? ''),
      });
      expect(api.statusCode).toBe(401);
    });

    it('a second use, and revokes the access and refresh tokens the first use issued', async () => {
      const { code: issued, verifier } = await code();
      const first = (await exchange(issued, verifier)).json<TokenBody>();
      const api = () => t.app.inject({ method: 'GET', url: '/orders', headers: bearer(first.access_token) });
      expect((await api()).statusCode).toBe(200);
      const second = await exchange(issued, verifier);
      expect(second.statusCode).toBe(400);
      expect(second.json()).toMatchObject({ error: 'invalid_grant' });
      expect((await api()).statusCode).toBe(401);
      const refreshed = await postForm(t.app, '/oauth/token', {
        grant_type: 'refresh_token',
        client_id: WEB,
        refresh_token: first.refresh_token ?? '',
      });
      expect(refreshed.json()).toMatchObject({ error: 'invalid_grant' });
      const events = await storedEvents(t.app.get(DataSource), 'auth.code.reused');
      expect(events.length).toBeGreaterThan(0);
      expect(events.at(-1)?.outcome).toBe('failure');
      expect(JSON.stringify(events.at(-1)?.details)).not.toContain(issued);
    });
  });

  it('publishes what it implements in the RFC 8414 metadata', async () => {
    const meta = (await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })).json<
      Record<string, unknown>
    >();
    expect(meta).toMatchObject({
      authorization_endpoint: `${t.config.auth.issuer}/oauth/authorize`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    });
    expect(meta.grant_types_supported).toContain('authorization_code');
  });
});
