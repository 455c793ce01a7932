import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import { storedEvents } from '../support/audit.js';
import { bearer, form, postForm, TEST_OPERATOR_PASSWORD, type TokenBody } from '../support/auth.js';
import { authorizeQuery, pkce, setCookies, signInThrough } from '../support/sign-in.js';
import { useTestApp } from '../support/use-test-app.js';

/**
 * RP-initiated logout (issue 13 §2): GET /oauth/logout asks, POST /oauth/logout (CSRF token
 * bound to the session) ends the session and the refresh tokens issued from it, and returns
 * only to a registered post-logout redirect URI.
 */

const REDIRECT = 'https://app.example.com/callback';
const BYE = 'https://app.example.com/bye';

describe('RP-initiated logout', () => {
  const t = useTestApp({
    env: {
      ORDEROPS_WEB_REDIRECT_URIS: REDIRECT,
      STRICT_RATE_LIMIT_PER_MINUTE: '10000',
      RATE_LIMIT_PER_MINUTE: '10000',
    },
    operators: { clerk: ['orders:read'] },
    signIn: ['admin'],
  });

  beforeAll(async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/admin/clients/orderops-web',
      headers: bearer(t.token('admin')),
      payload: { postLogoutRedirectUris: [BYE] },
    });
    expect(res.statusCode, res.body).toBe(200);
  });

  /** A signed-in browser with the tokens its SPA got from one code exchange. */
  const signedIn = async (scope?: string) => {
    const { verifier, challenge } = pkce();
    const query = authorizeQuery({
      response_type: 'code',
      client_id: 'orderops-web',
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...(scope ? { scope } : {}),
    });
    const { sessionCookie, location } = await signInThrough(t.app, query, 'clerk', TEST_OPERATOR_PASSWORD);
    const tokens = (
      await postForm(t.app, '/oauth/token', {
        grant_type: 'authorization_code',
        client_id: 'orderops-web',
        code: location.searchParams.get('code') ?? '',
        code_verifier: verifier,
        redirect_uri: REDIRECT,
      })
    ).json<TokenBody>();
    const live = async () => {
      const { challenge: c } = pkce();
      const res = await t.app.inject({
        method: 'GET',
        url: `/oauth/authorize?${authorizeQuery({ response_type: 'code', client_id: 'orderops-web', redirect_uri: REDIRECT, code_challenge: c, code_challenge_method: 'S256' })}`,
        headers: { cookie: sessionCookie },
      });
      return res.statusCode === 302;
    };
    return { sessionCookie, tokens, live };
  };

  const logoutQuery = (extra: Record<string, string | string[]> = {}) =>
    form({ client_id: 'orderops-web', post_logout_redirect_uri: BYE, state: 'bye-1', ...extra });
  const ask = (query: string, cookie?: string) =>
    t.app.inject({ method: 'GET', url: `/oauth/logout?${query}`, headers: cookie ? { cookie } : {} });
  const confirm = (fields: Record<string, string>, cookie: string) =>
    t.app.inject({
      method: 'POST',
      url: '/oauth/logout',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      payload: form(fields),
    });
  const csrfOf = (html: string) => /name="csrf_token" value="([^"]+)"/.exec(html)?.[1] ?? '';

  describe('never redirects where the client did not register', () => {
    it.each([
      ['an unregistered URI', logoutQuery({ post_logout_redirect_uri: 'https://evil.example/' })],
      [
        'a prefix of the registered URI',
        logoutQuery({ post_logout_redirect_uri: 'https://app.example.com/by' }),
      ],
      ['a URI without client_id', form({ post_logout_redirect_uri: BYE })],
      ['an unknown client', logoutQuery({ client_id: 'ptn_nobody' })],
      ['a redirect URI that is not a post-logout one', logoutQuery({ post_logout_redirect_uri: REDIRECT })],
      ['a repeated parameter', logoutQuery({ post_logout_redirect_uri: [BYE, BYE] })],
    ])('%s: an error page', async (_, query) => {
      const res = await ask(query);
      expect(res.statusCode).toBe(400);
      expect(res.headers.location).toBeUndefined();
      expect(res.headers['content-type']).toContain('text/html');
    });
  });

  it('without a session, returns to the registered URI with state (nothing to end)', async () => {
    const res = await ask(logoutQuery());
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe(`${BYE}?state=bye-1`);
    const bare = await ask('');
    expect(bare.statusCode).toBe(200);
    expect(bare.body).toContain('You are signed out');
  });

  it('with a session, asks first: a GET alone signs nobody out', async () => {
    const browser = await signedIn();
    const res = await ask(logoutQuery(), browser.sessionCookie);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<form method="post" action="/oauth/logout">');
    expect(String(res.headers['content-security-policy'])).toContain(
      "form-action 'self' https://app.example.com",
    );
    expect(res.body).not.toMatch(/<script/i);
    expect(await browser.live()).toBe(true);
  });

  describe('refuses to end the session when the CSRF token', () => {
    it.each([
      ['is missing', () => ''],
      ['is wrong', () => 'A'.repeat(43)],
    ])('%s', async (_, token) => {
      const browser = await signedIn();
      const res = await confirm(
        { csrf_token: token(), client_id: 'orderops-web', post_logout_redirect_uri: BYE },
        browser.sessionCookie,
      );
      expect(res.statusCode).toBe(403);
      expect(res.headers.location).toBeUndefined();
      expect(await browser.live()).toBe(true);
    });

    it('belongs to another session', async () => {
      const mine = await signedIn();
      const theirs = await signedIn();
      const token = csrfOf((await ask(logoutQuery(), theirs.sessionCookie)).body);
      const res = await confirm(
        { csrf_token: token, client_id: 'orderops-web', post_logout_redirect_uri: BYE },
        mine.sessionCookie,
      );
      expect(res.statusCode).toBe(403);
      expect(await mine.live()).toBe(true);
    });

    it('comes as JSON', async () => {
      const browser = await signedIn();
      const res = await t.app.inject({
        method: 'POST',
        url: '/oauth/logout',
        headers: { 'content-type': 'application/json', cookie: browser.sessionCookie },
        payload: { csrf_token: csrfOf((await ask(logoutQuery(), browser.sessionCookie)).body) },
      });
      expect(res.statusCode).toBe(415);
      expect(await browser.live()).toBe(true);
    });
  });

  it('ends the session and its refresh tokens, clears the cookie and returns with state', async () => {
    const browser = await signedIn();
    const other = await signedIn();
    const page = await ask(logoutQuery(), browser.sessionCookie);
    const res = await confirm(
      {
        csrf_token: csrfOf(page.body),
        client_id: 'orderops-web',
        post_logout_redirect_uri: BYE,
        state: 'bye-1',
      },
      browser.sessionCookie,
    );
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${BYE}?state=bye-1`);
    expect(setCookies(res).get('orderops_session')).toMatch(/^orderops_session=; .*Max-Age=0/);
    expect(await browser.live()).toBe(false);
    const refreshed = await postForm(t.app, '/oauth/token', {
      grant_type: 'refresh_token',
      client_id: 'orderops-web',
      refresh_token: browser.tokens.refresh_token ?? '',
    });
    expect(refreshed.json()).toMatchObject({ error: 'invalid_grant' });
    // Another browser's session and tokens are untouched.
    expect(await other.live()).toBe(true);
    const theirs = await postForm(t.app, '/oauth/token', {
      grant_type: 'refresh_token',
      client_id: 'orderops-web',
      refresh_token: other.tokens.refresh_token ?? '',
    });
    expect(theirs.statusCode).toBe(200);
    const [ended] = (await storedEvents(t.app.get(DataSource), 'auth.session.ended')).slice(-1);
    expect(ended.details).toMatchObject({
      reason: 'logout',
      clientId: 'orderops-web',
      refreshFamiliesRevoked: 1,
    });
    expect(JSON.stringify(ended)).not.toContain('clerk');
  });

  describe('id_token_hint', () => {
    const idToken = async () => {
      const { tokens } = await signedIn('openid orders:read');
      expect(tokens.id_token, JSON.stringify(tokens)).toBeTruthy();
      return tokens.id_token as string;
    };
    const hinted = (hint: string, extra: Record<string, string> = {}) =>
      form({ id_token_hint: hint, post_logout_redirect_uri: BYE, state: 'bye-2', ...extra });

    it('names the client: with no client_id, returns to its registered URI with state', async () => {
      const res = await ask(hinted(await idToken()));
      expect(res.statusCode).toBe(302);
      const location = new URL(res.headers.location as string);
      expect(`${location.origin}${location.pathname}`).toBe(BYE);
      expect(location.searchParams.get('state')).toBe('bye-2');
    });

    it('with a session, asks first, and the form carries the client the hint named', async () => {
      const { sessionCookie, live } = await signedIn();
      const page = await ask(hinted(await idToken()), sessionCookie);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('name="client_id" value="orderops-web"');
      const done = await confirm(
        {
          csrf_token: csrfOf(page.body),
          client_id: 'orderops-web',
          post_logout_redirect_uri: BYE,
          state: 'bye-2',
        },
        sessionCookie,
      );
      expect(done.statusCode).toBe(303);
      expect(await live()).toBe(false);
    });

    type Build = (hint: string) => string | Promise<string>;
    const editedPayload: Build = (hint) => {
      const [h, p, sig] = hint.split('.');
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
      const edited = Buffer.from(JSON.stringify({ ...claims, aud: 'orderops-docs' })).toString('base64url');
      return hinted(`${h}.${edited}.${sig}`);
    };
    const cases: [string, Build][] = [
      ['a client_id of another client', (hint) => hinted(hint, { client_id: 'orderops-docs' })],
      ['an edited payload', editedPayload],
      ['a truncated signature', (hint) => hinted(hint.slice(0, -4))],
      ['an access token', async () => hinted((await signedIn()).tokens.access_token)],
      ['not a JWT', () => hinted('not-a-token')],
      ['an unregistered URI', (hint) => hinted(hint, { post_logout_redirect_uri: 'https://evil.example/' })],
    ];
    it.each(cases)('refuses %s: an error page, never a redirect', async (_, build) => {
      const res = await ask(await build(await idToken()));
      expect(res.statusCode).toBe(400);
      expect(res.headers.location).toBeUndefined();
      expect(res.headers['content-type']).toContain('text/html');
    });
  });

  it('is in the metadata as end_session_endpoint', async () => {
    const meta = (await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })).json<
      Record<string, unknown>
    >();
    expect(meta.end_session_endpoint).toBe(`${t.config.auth.issuer}/oauth/logout`);
  });
});
