import { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { storedEvents } from '../support/audit.js';
import { bearer, TEST_OPERATOR_PASSWORD } from '../support/auth.js';
import {
  authorizeQuery,
  cookiePair,
  formFields,
  pkce,
  postSignIn,
  setCookies,
  signInThrough,
} from '../support/sign-in.js';
import { useTestApp } from '../support/use-test-app.js';

/**
 * The sign-in page and the browser session behind /oauth/authorize (issue 13 §2, §6):
 * CSP, CSRF bound to a pre-session, one answer for every failure, the password grant's
 * lockout, no session fixation, cookie flags, and sessions that end with the operator.
 */

const REDIRECT = 'https://app.example.com/callback';
const query = () =>
  authorizeQuery({
    response_type: 'code',
    client_id: 'orderops-web',
    redirect_uri: REDIRECT,
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
    state: 'xyz',
  });

describe('the sign-in page', () => {
  const t = useTestApp({
    env: {
      ORDEROPS_WEB_REDIRECT_URIS: REDIRECT,
      STRICT_RATE_LIMIT_PER_MINUTE: '10000',
      RATE_LIMIT_PER_MINUTE: '10000',
    },
    operators: {
      clerk: ['orders:read'],
      victim: ['orders:read'],
      leaver: ['orders:read'],
      mover: ['orders:read'],
    },
    signIn: ['admin'],
  });

  const page = async () => {
    const res = await t.app.inject({ method: 'GET', url: `/oauth/authorize?${query()}` });
    expect(res.statusCode).toBe(200);
    const preSession = [...setCookies(res).values()].find((c) => c.startsWith('orderops_presession='));
    return { res, fields: formFields(res.body), cookie: cookiePair(preSession) };
  };

  describe('without a session, /oauth/authorize shows the form', () => {
    it('as strict-CSP HTML with no script and no external asset', async () => {
      const { res } = await page();
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-store');
      const csp = String(res.headers['content-security-policy']);
      for (const directive of [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self' https://app.example.com",
      ]) {
        expect(csp).toContain(directive);
      }
      const nonce = /style-src 'nonce-([^']+)'/.exec(csp)?.[1];
      expect(nonce).toBeTruthy();
      expect(res.body).toContain(`<style nonce="${nonce}">`);
      expect(res.body).not.toMatch(/<script/i);
      expect(res.body).not.toMatch(/(src|href)="https?:/);
      expect(res.body).not.toMatch(/ style="/);
      // A fresh nonce per response.
      const again = await t.app.inject({ method: 'GET', url: `/oauth/authorize?${query()}` });
      expect(String(again.headers['content-security-policy'])).not.toContain(nonce);
    });

    it('with labelled inputs and the autocomplete hints password managers use', async () => {
      const { res } = await page();
      expect(res.body).toContain('<html lang="en">');
      expect(res.body).toContain('<label for="username">');
      expect(res.body).toMatch(/<input[^>]+id="username"[^>]+autocomplete="username"/);
      expect(res.body).toContain('<label for="password">');
      expect(res.body).toMatch(
        /<input[^>]+type="password"[^>]+id="password"[^>]+autocomplete="current-password"/,
      );
      expect(res.body).toContain('<button type="submit">');
    });

    it('sets an HttpOnly SameSite=Lax pre-session cookie that the CSRF token is bound to', async () => {
      const { res } = await page();
      const preSession = [...setCookies(res).values()].find((c) => c.startsWith('orderops_presession='));
      expect(preSession).toMatch(/; Path=\/; HttpOnly; SameSite=Lax; Max-Age=1800$/);
    });
  });

  describe('refuses, and checks no password, when the CSRF token', () => {
    const failures = async () => (await storedEvents(t.app.get(DataSource), 'auth.login.failed')).length;

    it.each([
      ['is missing', () => ({ csrf_token: '' }), true],
      ['is wrong', () => ({ csrf_token: 'A'.repeat(43) }), true],
      [
        'comes without its pre-session cookie',
        (f: { csrfToken: string }) => ({ csrf_token: f.csrfToken }),
        false,
      ],
    ])('%s', async (_, token, withCookie) => {
      const { fields, cookie } = await page();
      const before = await failures();
      const res = await postSignIn(
        t.app,
        {
          authorization: fields.authorization,
          username: 'clerk',
          password: TEST_OPERATOR_PASSWORD,
          ...token(fields),
        },
        withCookie ? cookie : '',
      );
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain('This sign-in form has expired');
      expect(setCookies(res).has('orderops_session')).toBe(false);
      expect(await failures()).toBe(before);
    });

    it('is posted as JSON instead of the form', async () => {
      const { fields, cookie } = await page();
      const res = await t.app.inject({
        method: 'POST',
        url: '/oauth/sign-in',
        headers: { 'content-type': 'application/json', cookie },
        payload: {
          ...fields,
          csrf_token: fields.csrfToken,
          username: 'clerk',
          password: TEST_OPERATOR_PASSWORD,
        },
      });
      expect(res.statusCode).toBe(415);
      expect(setCookies(res).has('orderops_session')).toBe(false);
    });

    it('comes from another pre-session', async () => {
      const mine = await page();
      const theirs = await page();
      const res = await postSignIn(
        t.app,
        {
          authorization: mine.fields.authorization,
          csrf_token: theirs.fields.csrfToken,
          username: 'clerk',
          password: TEST_OPERATOR_PASSWORD,
        },
        mine.cookie,
      );
      expect(res.statusCode).toBe(403);
      expect(setCookies(res).has('orderops_session')).toBe(false);
    });
  });

  describe('one answer for every failure', () => {
    const attempt = async (username: string, password: string) => {
      const { fields, cookie } = await page();
      return postSignIn(
        t.app,
        { csrf_token: fields.csrfToken, authorization: fields.authorization, username, password },
        cookie,
      );
    };
    const message = (html: string) => /<p class="error"[^>]*>([^<]*)<\/p>/.exec(html)?.[1];

    it('a wrong password and an unknown account read the same, and name no one', async () => {
      const wrong = await attempt('clerk', 'not-the-password-at-all');
      const unknown = await attempt('nobody-here', 'not-the-password-at-all');
      expect(wrong.statusCode).toBe(400);
      expect(unknown.statusCode).toBe(400);
      expect(message(wrong.body)).toBeTruthy();
      expect(message(unknown.body)).toBe(message(wrong.body));
      expect(unknown.body).not.toContain('nobody-here');
      expect(wrong.body).toContain('role="alert"');
      expect(wrong.body).toContain('aria-describedby="sign-in-error"');
      // Failures are audited by the password grant's own code: the unknown name only as a fingerprint.
      const events = await storedEvents(t.app.get(DataSource), 'auth.login.failed');
      expect(JSON.stringify(events)).not.toContain('nobody-here');
      expect(events.map((e) => e.details.reason)).toEqual(
        expect.arrayContaining(['bad_password', 'unknown_user']),
      );
    });

    it('a locked-out operator is refused on the page with the same answer, even with the right password', async () => {
      for (let i = 0; i < 5; i++) await attempt('victim', `wrong-password-${i}-xxxxxxxx`);
      const locked = await attempt('victim', TEST_OPERATOR_PASSWORD);
      expect(locked.statusCode).toBe(400);
      expect(message(locked.body)).toBe(message((await attempt('clerk', 'not-the-password-at-all')).body));
      expect(setCookies(locked).has('orderops_session')).toBe(false);
      const reasons = (await storedEvents(t.app.get(DataSource), 'auth.login.failed')).map(
        (e) => e.details.reason,
      );
      expect(reasons).toContain('locked');
      expect(await storedEvents(t.app.get(DataSource), 'auth.account.locked')).not.toHaveLength(0);
    });
  });

  describe('a successful sign-in', () => {
    it('starts a new session (no fixation), ends the pre-session and returns to the request', async () => {
      const { fields, cookie } = await page();
      // A session id planted in the browser beforehand is never promoted.
      const planted = `orderops_session=${'P'.repeat(43)}`;
      const res = await postSignIn(
        t.app,
        {
          csrf_token: fields.csrfToken,
          authorization: fields.authorization,
          username: 'clerk',
          password: TEST_OPERATOR_PASSWORD,
        },
        `${cookie}; ${planted}`,
      );
      expect(res.statusCode).toBe(303);
      expect(String(res.headers.location)).toBe(`/oauth/authorize?${fields.authorization}`);
      const cookies = setCookies(res);
      const session = cookies.get('orderops_session') ?? '';
      expect(session).toMatch(
        /^orderops_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/,
      );
      expect(cookiePair(session)).not.toBe(planted);
      expect(session).not.toContain(cookie.split('=')[1]);
      expect(cookies.get('orderops_presession')).toMatch(/Max-Age=0/);
      const rows = await t.app
        .get(DataSource)
        .query<{ secret_hash: string; amr: string[] }[]>('SELECT secret_hash, amr FROM auth_sessions');
      expect(JSON.stringify(rows)).not.toContain(cookiePair(session).split('=')[1]);
      expect(rows.at(-1)?.amr).toEqual(['pwd']);
      const [started] = (await storedEvents(t.app.get(DataSource), 'auth.session.started')).slice(-1);
      expect(started.details).toMatchObject({ clientId: 'orderops-web', amr: ['pwd'] });
      expect(JSON.stringify(started)).not.toContain('clerk');
    });

    it('a second sign-in in the same browser ends the first session', async () => {
      const first = await signInThrough(t.app, query(), 'clerk', TEST_OPERATOR_PASSWORD);
      const { fields, cookie } = await page();
      const res = await postSignIn(
        t.app,
        {
          csrf_token: fields.csrfToken,
          authorization: fields.authorization,
          username: 'clerk',
          password: TEST_OPERATOR_PASSWORD,
        },
        `${cookie}; ${first.sessionCookie}`,
      );
      expect(res.statusCode).toBe(303);
      const old = await t.app.inject({
        method: 'GET',
        url: `/oauth/authorize?${query()}`,
        headers: { cookie: first.sessionCookie },
      });
      expect(old.statusCode).toBe(200);
      expect(old.body).toContain('<form');
    });

    it('lets the session skip the page for a first-party client until it ends', async () => {
      const { sessionCookie } = await signInThrough(t.app, query(), 'clerk', TEST_OPERATOR_PASSWORD);
      const res = await t.app.inject({
        method: 'GET',
        url: `/oauth/authorize?${query()}`,
        headers: { cookie: sessionCookie },
      });
      expect(res.statusCode).toBe(302);
      expect(new URL(String(res.headers.location)).searchParams.get('code')).toBeTruthy();
      await t.app
        .get(DataSource)
        .query(`UPDATE auth_sessions SET idle_expires_at = now() - interval '1 second'`);
      const idle = await t.app.inject({
        method: 'GET',
        url: `/oauth/authorize?${query()}`,
        headers: { cookie: sessionCookie },
      });
      expect(idle.statusCode).toBe(200);
      expect(idle.body).toContain('<form');
    });
  });

  describe('sessions end with the operator', () => {
    const stillSignedIn = async (cookie: string) =>
      (await t.app.inject({ method: 'GET', url: `/oauth/authorize?${query()}`, headers: { cookie } }))
        .statusCode === 302;

    it('disabling the operator ends its sessions', async () => {
      const { sessionCookie } = await signInThrough(t.app, query(), 'leaver', TEST_OPERATOR_PASSWORD);
      expect(await stillSignedIn(sessionCookie)).toBe(true);
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/admin/operators/${t.operator('leaver').id}`,
        headers: bearer(t.token('admin')),
        payload: { disabled: true },
      });
      expect(res.statusCode).toBe(200);
      expect(await stillSignedIn(sessionCookie)).toBe(false);
      const rows = await t.app
        .get(DataSource)
        .query<{ revoked_at: Date | null }[]>('SELECT revoked_at FROM auth_sessions WHERE operator_id = $1', [
          t.operator('leaver').id,
        ]);
      expect(rows.every((r) => r.revoked_at !== null)).toBe(true);
    });

    it('a new password ends its sessions; a scope change does not', async () => {
      const { sessionCookie } = await signInThrough(t.app, query(), 'mover', TEST_OPERATOR_PASSWORD);
      const patch = (payload: object) =>
        t.app.inject({
          method: 'PATCH',
          url: `/admin/operators/${t.operator('mover').id}`,
          headers: bearer(t.token('admin')),
          payload,
        });
      expect((await patch({ scopes: ['orders:read', 'orders:write'] })).statusCode).toBe(200);
      expect(await stillSignedIn(sessionCookie)).toBe(true);
      expect((await patch({ password: 'a-brand-new-password-41x' })).statusCode).toBe(200);
      expect(await stillSignedIn(sessionCookie)).toBe(false);
    });
  });
});

describe('session cookies behind an https issuer', () => {
  const t = useTestApp({
    env: {
      ORDEROPS_ISSUER: 'https://orderops.example.test',
      ORDEROPS_WEB_REDIRECT_URIS: REDIRECT,
      STRICT_RATE_LIMIT_PER_MINUTE: '10000',
    },
    operators: { clerk: ['orders:read'] },
    signIn: [],
  });

  it('are __Host- cookies: Secure, HttpOnly, SameSite=Lax, Path=/, no Domain', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/oauth/authorize?${query()}` });
    const preSession = setCookies(res).get('__Host-orderops_presession');
    expect(preSession).toMatch(/; Path=\/; HttpOnly; SameSite=Lax; Max-Age=1800; Secure$/);
    const fields = formFields(res.body);
    const signed = await postSignIn(
      t.app,
      {
        csrf_token: fields.csrfToken,
        authorization: fields.authorization,
        username: 'clerk',
        password: TEST_OPERATOR_PASSWORD,
      },
      cookiePair(preSession),
    );
    expect(signed.statusCode).toBe(303);
    const session = setCookies(signed).get('__Host-orderops_session') ?? '';
    expect(session).toMatch(
      /^__Host-orderops_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+; Secure$/,
    );
    expect(session).not.toMatch(/Domain=/i);
    // Over https the unprefixed name is not accepted: a sibling host could have planted it.
    const unprefixed = cookiePair(session).replace('__Host-', '');
    const res2 = await t.app.inject({
      method: 'GET',
      url: `/oauth/authorize?${query()}`,
      headers: { cookie: unprefixed },
    });
    expect(res2.statusCode).toBe(200);
    const prefixed = await t.app.inject({
      method: 'GET',
      url: `/oauth/authorize?${query()}`,
      headers: { cookie: cookiePair(session) },
    });
    expect(prefixed.statusCode).toBe(302);
    expect(new URL(String(prefixed.headers.location)).searchParams.get('iss')).toBe(
      'https://orderops.example.test',
    );
  });
});
