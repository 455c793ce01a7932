import { Scope } from '@orderops/access';
import { systemActor } from '@orderops/audit';
import { MfaService, OperatorsService } from '@orderops/auth';
import type { LightMyRequestResponse } from 'fastify';
import { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { storedEvents } from '../support/audit.js';
import { decodeJwt, form, postForm, TEST_OPERATOR_PASSWORD, type TokenBody } from '../support/auth.js';
import { authorizeQuery, cookiePair, formFields, pkce, postSignIn, setCookies } from '../support/sign-in.js';
import { authenticatorCode } from '../support/totp.js';
import { useTestApp } from '../support/use-test-app.js';

/**
 * The second factor inside browser sign-in (issue 13 §4, §6), with
 * ORDEROPS_MFA_REQUIRED_SCOPES=admin: after a passed password an operator with a factor types
 * a code (or a recovery code) before any session exists; one without it who asks for admin
 * enrols in the flow. Negatives first.
 */

const REDIRECT = 'https://app.example.com/callback';
const WEB = 'orderops-web';

describe('the second factor in browser sign-in', () => {
  const t = useTestApp({
    env: {
      ORDEROPS_WEB_REDIRECT_URIS: REDIRECT,
      ORDEROPS_MFA_REQUIRED_SCOPES: 'admin',
      STRICT_RATE_LIMIT_PER_MINUTE: '10000',
      RATE_LIMIT_PER_MINUTE: '10000',
    },
    signIn: [],
  });
  const spec = systemActor('spec');

  /** A fresh operator holding admin (created by the service: no admin token exists without the factor). */
  let serial = 0;
  const newOperator = async (scopes: Scope[] = [Scope.Admin, Scope.OrdersRead]) => {
    const username = `op${++serial}`;
    const operator = await t.app.get(OperatorsService).create(username, TEST_OPERATOR_PASSWORD, scopes, spec);
    return { id: operator.id, username };
  };
  /**
   * A fresh operator with an active factor, confirmed with the previous step's code so the
   * current and next steps stay usable by the test.
   */
  const enrolled = async () => {
    const operator = await newOperator();
    const mfa = t.app.get(MfaService);
    const { secret } = await mfa.beginEnrolment(operator.id, spec);
    const confirmed = await mfa.confirmEnrolment(operator.id, authenticatorCode(secret, -1), spec);
    if (!confirmed.ok) throw new Error('enrolment failed');
    return { ...operator, secret, recoveryCodes: confirmed.recoveryCodes };
  };

  const request = (challenge: string, scope: string) => ({
    response_type: 'code',
    client_id: WEB,
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st-2fa',
    scope,
  });

  interface PasswordPassed {
    /** The Cookie header with the pre-session. */
    cookie: string;
    /** The pre-session the sign-in form was bound to. */
    before: string;
    signInCsrf: string;
    page: LightMyRequestResponse;
    fields: { csrfToken: string; authorization: string };
    verifier: string;
  }

  /** authorize -> sign-in page -> a correct password, up to the page that comes next. */
  const passPassword = async (username: string, scope = 'admin orders:read'): Promise<PasswordPassed> => {
    const { verifier, challenge } = pkce();
    const first = await t.app.inject({
      method: 'GET',
      url: `/oauth/authorize?${authorizeQuery(request(challenge, scope))}`,
    });
    expect(first.statusCode).toBe(200);
    const cookie = cookiePair(
      [...setCookies(first).values()].find((c) => c.startsWith('orderops_presession=')),
    );
    const signIn = formFields(first.body);
    const page = await postSignIn(
      t.app,
      {
        csrf_token: signIn.csrfToken,
        authorization: signIn.authorization,
        username,
        password: TEST_OPERATOR_PASSWORD,
      },
      cookie,
    );
    // Past the password, the browser continues with the step's new pre-session.
    const next = [...setCookies(page).values()].find((c) => c.startsWith('orderops_presession='));
    return {
      cookie: next === undefined ? cookie : cookiePair(next),
      before: cookie,
      signInCsrf: signIn.csrfToken,
      page,
      fields: page.statusCode === 200 ? formFields(page.body) : { csrfToken: '', authorization: '' },
      verifier,
    };
  };

  const postCode = (cookie: string, fields: Record<string, string>) =>
    t.app.inject({
      method: 'POST',
      url: '/oauth/sign-in/code',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      payload: form(fields),
    });
  const submit = (passed: PasswordPassed, extra: Record<string, string>) =>
    postCode(passed.cookie, {
      csrf_token: passed.fields.csrfToken,
      authorization: passed.fields.authorization,
      ...extra,
    });

  const sessionCookieOf = (res: LightMyRequestResponse) =>
    [...setCookies(res).entries()].find(([name]) => name === 'orderops_session')?.[1];

  /** The 303 after a passed step -> authorize -> the client, then the code exchange. */
  const finish = async (res: LightMyRequestResponse, verifier: string, location?: string) => {
    const session = cookiePair(sessionCookieOf(res));
    const again = await t.app.inject({
      method: 'GET',
      url: location ?? String(res.headers.location),
      headers: { cookie: session },
    });
    expect(again.statusCode, again.body).toBe(302);
    const back = new URL(String(again.headers.location));
    expect(back.searchParams.get('state')).toBe('st-2fa');
    const exchanged = await postForm(t.app, '/oauth/token', {
      grant_type: 'authorization_code',
      client_id: WEB,
      code: back.searchParams.get('code') ?? '',
      code_verifier: verifier,
      redirect_uri: REDIRECT,
    });
    expect(exchanged.statusCode, exchanged.body).toBe(200);
    return { token: exchanged.json<TokenBody>(), session };
  };

  const sessionsOf = async (operatorId: string) =>
    (await storedEvents(t.app.get(DataSource), 'auth.session.started')).filter((e) => e.actor === operatorId);

  describe('an operator with an active factor', () => {
    it('gets the code page after the password, and no session yet', async () => {
      const op = await enrolled();
      const passed = await passPassword(op.username);
      expect(passed.page.statusCode).toBe(200);
      expect(sessionCookieOf(passed.page)).toBeUndefined();
      expect(await sessionsOf(op.id)).toHaveLength(0);
      const csp = String(passed.page.headers['content-security-policy']);
      expect(csp).toContain("form-action 'self' https://app.example.com");
      expect(csp).toContain("frame-ancestors 'none'");
      const nonce = /style-src 'nonce-([^']+)'/.exec(csp)?.[1];
      expect(passed.page.body).toContain(`<style nonce="${nonce}">`);
      expect(passed.page.body).not.toMatch(/<script/i);
      expect(passed.page.body).toContain('<label for="code">');
      expect(passed.page.body).toMatch(/<input[^>]+id="code"[^>]+autocomplete="one-time-code"/);
      expect(passed.page.body).toContain('<label for="recovery_code">');
      expect(passed.page.body).toContain('action="/oauth/sign-in/code"');
      // The password is nowhere in what the browser carries on.
      expect(passed.page.body).not.toContain(TEST_OPERATOR_PASSWORD);
      // Its CSRF token is not the sign-in form's.
      expect(passed.fields.csrfToken).not.toBe(
        formFields((await passPassword(op.username)).page.body).csrfToken,
      );
    });

    it('refuses a wrong code with a message that says nothing more, and audits it', async () => {
      const op = await enrolled();
      const passed = await passPassword(op.username);
      const wrong = String((Number(authenticatorCode(op.secret)) + 1) % 1_000_000).padStart(6, '0');
      const res = await submit(passed, { code: wrong });
      expect(res.statusCode).toBe(400);
      expect(res.body).toContain('That code is not correct. Try again with a new code.');
      expect(res.body).not.toContain(wrong);
      expect(sessionCookieOf(res)).toBeUndefined();
      const failed = (await storedEvents(t.app.get(DataSource), 'auth.mfa.failed')).filter(
        (e) => e.target_id === op.id,
      );
      expect(failed).toHaveLength(1);
      expect(failed[0].details).toMatchObject({ method: 'totp', reason: 'wrong_code' });
      expect(JSON.stringify(failed[0])).not.toContain(wrong);
    });

    it('refuses a replay of the code the factor already accepted', async () => {
      const op = await enrolled();
      // The enrolment accepted the previous step: that code, and the step before, are spent.
      const passed = await passPassword(op.username);
      const res = await submit(passed, { code: authenticatorCode(op.secret, -1) });
      expect(res.statusCode).toBe(400);
      expect(res.body).toContain('That code is not correct.');

      // And a code accepted at sign-in is refused at the next one.
      const code = authenticatorCode(op.secret);
      const ok = await submit(passed, { code });
      expect(ok.statusCode).toBe(303);
      const second = await passPassword(op.username);
      const replay = await submit(second, { code });
      expect(replay.statusCode).toBe(400);
      expect(sessionCookieOf(replay)).toBeUndefined();
    });

    it('refuses a spent recovery code', async () => {
      const op = await enrolled();
      const [recovery] = op.recoveryCodes;
      const first = await passPassword(op.username);
      expect((await submit(first, { recovery_code: recovery })).statusCode).toBe(303);
      const second = await passPassword(op.username);
      const reuse = await submit(second, { recovery_code: recovery });
      expect(reuse.statusCode).toBe(400);
      expect(reuse.body).toContain('That code is not correct.');
      expect(reuse.body).not.toContain(recovery);
      expect(sessionCookieOf(reuse)).toBeUndefined();
    });

    it('locks after five wrong codes: even the right one is then refused', async () => {
      const op = await enrolled();
      const passed = await passPassword(op.username);
      for (let i = 0; i < 5; i++) expect((await submit(passed, { code: '000000' })).statusCode).toBe(400);
      const locked = await submit(passed, { code: authenticatorCode(op.secret) });
      expect(locked.statusCode).toBe(429);
      expect(locked.body).toContain('Too many wrong codes.');
      expect(sessionCookieOf(locked)).toBeUndefined();
      expect(
        (await storedEvents(t.app.get(DataSource), 'auth.mfa.locked')).filter((e) => e.target_id === op.id),
      ).toHaveLength(1);
    });

    describe('checks no code when the CSRF token', () => {
      const noCodeChecked = async (res: LightMyRequestResponse, operatorId: string) => {
        expect(res.statusCode).toBe(403);
        expect(res.body).toContain('This sign-in form has expired. Sign in again.');
        expect(sessionCookieOf(res)).toBeUndefined();
        expect(
          (await storedEvents(t.app.get(DataSource), 'auth.mfa.failed')).filter(
            (e) => e.target_id === operatorId,
          ),
        ).toHaveLength(0);
      };

      /** The sign-in form's token for the same (current) pre-session: valid, but for another form. */
      const signInTokenOf = async (p: PasswordPassed) => {
        const again = await t.app.inject({
          method: 'GET',
          url: `/oauth/authorize?${p.fields.authorization}`,
          headers: { cookie: p.cookie },
        });
        expect(setCookies(again).size).toBe(0);
        return formFields(again.body).csrfToken;
      };

      it.each([
        ['is missing', () => Promise.resolve('')],
        ['is the sign-in form’s for the same pre-session (another purpose)', signInTokenOf],
        [
          'is the sign-in form’s from before the password',
          (p: PasswordPassed) => Promise.resolve(p.signInCsrf),
        ],
      ])('%s', async (_, token) => {
        const op = await enrolled();
        const passed = await passPassword(op.username);
        const code = authenticatorCode(op.secret);
        await noCodeChecked(await submit(passed, { csrf_token: await token(passed), code }), op.id);
        // The code was not spent: the real form still takes it.
        expect((await submit(passed, { code })).statusCode).toBe(303);
      });

      it('comes from another browser’s pre-session', async () => {
        const op = await enrolled();
        const mine = await passPassword(op.username);
        const other = await passPassword(op.username);
        // Another browser's token with my cookie, and my token with its cookie.
        for (const [cookie, token] of [
          [mine.cookie, other.fields.csrfToken],
          [other.cookie, mine.fields.csrfToken],
        ]) {
          const res = await postCode(cookie, {
            csrf_token: token,
            authorization: mine.fields.authorization,
            code: authenticatorCode(op.secret),
          });
          expect(res.statusCode).toBe(403);
          expect(sessionCookieOf(res)).toBeUndefined();
        }
      });
    });

    it('the password step replaces the pre-session: the one from before it continues nothing', async () => {
      const op = await enrolled();
      const passed = await passPassword(op.username);
      expect(passed.cookie).not.toBe(passed.before);
      expect(setCookies(passed.page).get('orderops_presession')).toMatch(
        /; Path=\/; HttpOnly; SameSite=Lax; Max-Age=1800$/,
      );
      const res = await postCode(passed.before, {
        csrf_token: passed.fields.csrfToken,
        authorization: passed.fields.authorization,
        code: authenticatorCode(op.secret),
      });
      expect(res.statusCode).toBe(403);
      expect(sessionCookieOf(res)).toBeUndefined();
      expect((await submit(passed, { code: authenticatorCode(op.secret) })).statusCode).toBe(303);
    });

    it('the code step without a password step behind it is the sign-in form, and checks nothing', async () => {
      const op = await enrolled();
      // No pre-session at all.
      const passed = await passPassword(op.username);
      const bare = await t.app.inject({
        method: 'POST',
        url: '/oauth/sign-in/code',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: form({
          csrf_token: passed.fields.csrfToken,
          authorization: passed.fields.authorization,
          code: authenticatorCode(op.secret),
        }),
      });
      expect(bare.statusCode).toBe(403);
      expect(bare.body).toContain('<label for="password">');
      // A pre-session and its token are not enough: the server-side step is what the password left.
      await t.app.get(DataSource).query('DELETE FROM auth_sign_in_steps WHERE operator_id = $1', [op.id]);
      const res = await submit(passed, { code: authenticatorCode(op.secret) });
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain('<label for="password">');
      expect(sessionCookieOf(res)).toBeUndefined();
      expect(
        (await storedEvents(t.app.get(DataSource), 'auth.mfa.failed')).filter((e) => e.target_id === op.id),
      ).toHaveLength(0);
    });

    it('a step is spent by its success: the same form again starts nothing', async () => {
      const op = await enrolled();
      const passed = await passPassword(op.username);
      const ok = await submit(passed, { code: authenticatorCode(op.secret) });
      expect(ok.statusCode).toBe(303);
      const again = await submit(passed, { code: authenticatorCode(op.secret, 1) });
      expect(again.statusCode).toBe(403);
      expect(sessionCookieOf(again)).toBeUndefined();
      expect(await sessionsOf(op.id)).toHaveLength(1);
      // The next step's code was not checked, so it still works for a real sign-in.
      const next = await passPassword(op.username);
      expect((await submit(next, { code: authenticatorCode(op.secret, 1) })).statusCode).toBe(303);
    });

    it('an expired step starts nothing', async () => {
      const op = await enrolled();
      const passed = await passPassword(op.username);
      await t.app
        .get(DataSource)
        .query(
          `UPDATE auth_sign_in_steps SET expires_at = now() - interval '1 second' WHERE operator_id = $1`,
          [op.id],
        );
      const res = await submit(passed, { code: authenticatorCode(op.secret) });
      expect(res.statusCode).toBe(403);
      expect(sessionCookieOf(res)).toBeUndefined();
    });

    it('a password changed or an account disabled between the steps ends the step', async () => {
      for (const change of [{ password: 'another-long-passphrase-3k9' }, { disabled: true }]) {
        const op = await enrolled();
        const passed = await passPassword(op.username);
        await t.app.get(OperatorsService).update(op.id, change, spec);
        const res = await submit(passed, { code: authenticatorCode(op.secret) });
        expect(res.statusCode).toBe(403);
        expect(sessionCookieOf(res)).toBeUndefined();
        expect(await sessionsOf(op.id)).toHaveLength(0);
      }
    });

    it('the step holds no password and nothing secret', async () => {
      const op = await enrolled();
      await passPassword(op.username);
      const rows = await t.app
        .get(DataSource)
        .query<Record<string, unknown>[]>('SELECT * FROM auth_sign_in_steps WHERE operator_id = $1', [op.id]);
      expect(rows).toHaveLength(1);
      expect(Object.keys(rows[0]).sort()).toEqual(
        [
          'client_id',
          'created_at',
          'expires_at',
          'id',
          'operator_id',
          'pre_session_hash',
          'stage',
          'used_at',
        ].sort(),
      );
      expect(JSON.stringify(rows)).not.toContain(TEST_OPERATOR_PASSWORD);
    });

    it('a valid code starts a new session with amr pwd+otp, and the token carries admin', async () => {
      const op = await enrolled();
      const passed = await passPassword(op.username);
      const res = await submit(passed, { code: authenticatorCode(op.secret) });
      expect(res.statusCode).toBe(303);
      expect(String(res.headers.location)).toMatch(/^\/oauth\/authorize\?/);
      // The pre-session ends; the session is a new secret.
      expect(setCookies(res).get('orderops_presession')).toMatch(/Max-Age=0/);
      expect(cookiePair(sessionCookieOf(res))).not.toBe(passed.cookie.replace('presession', 'session'));
      const { token } = await finish(res, passed.verifier);
      expect(token.scope.split(' ').sort()).toEqual(['admin', 'orders:read']);
      expect(decodeJwt(token.access_token).payload.scope).toBe(token.scope);
      const [started] = await sessionsOf(op.id);
      expect(started.details).toMatchObject({ clientId: WEB, amr: ['pwd', 'otp'] });
    });

    it('a recovery code does the same, and is audited with the codes left', async () => {
      const op = await enrolled();
      const passed = await passPassword(op.username);
      const res = await submit(passed, { recovery_code: op.recoveryCodes[3] });
      expect(res.statusCode).toBe(303);
      const { token } = await finish(res, passed.verifier);
      expect(token.scope).toContain('admin');
      const used = (await storedEvents(t.app.get(DataSource), 'auth.mfa.recovery_code_used')).filter(
        (e) => e.target_id === op.id,
      );
      expect(used.map((e) => e.details)).toEqual([{ remaining: 9 }]);
      expect(JSON.stringify(used)).not.toContain(op.recoveryCodes[3]);
    });
  });

  describe('an operator without a factor', () => {
    it('asking for no scope that needs it signs in with the password alone (no enrolment)', async () => {
      const op = await newOperator();
      const passed = await passPassword(op.username, 'orders:read');
      expect(passed.page.statusCode).toBe(303);
      const { token, session } = await finish(passed.page, passed.verifier);
      expect(token.scope).toBe('orders:read');
      expect((await sessionsOf(op.id))[0].details).toMatchObject({ amr: ['pwd'] });
      expect((await t.app.get(MfaService).status(op.id)).state).toBe('none');

      // That session does not carry admin: asked for later, it is withheld from the token.
      const { verifier, challenge } = pkce();
      const silent = await t.app.inject({
        method: 'GET',
        url: `/oauth/authorize?${authorizeQuery(request(challenge, 'admin orders:read'))}`,
        headers: { cookie: session },
      });
      expect(silent.statusCode).toBe(302);
      const exchanged = await postForm(t.app, '/oauth/token', {
        grant_type: 'authorization_code',
        client_id: WEB,
        code: new URL(String(silent.headers.location)).searchParams.get('code') ?? '',
        code_verifier: verifier,
        redirect_uri: REDIRECT,
      });
      expect(exchanged.statusCode).toBe(200);
      expect(exchanged.json<TokenBody>().scope).toBe('orders:read');
    });

    it('asking for admin enrols in the flow: secret and QR, a code, recovery codes once, then the token has admin', async () => {
      const op = await newOperator();
      const passed = await passPassword(op.username);
      expect(passed.page.statusCode).toBe(200);
      expect(sessionCookieOf(passed.page)).toBeUndefined();
      const body = passed.page.body;
      const secret = /<code id="secret">([A-Z2-7]+)<\/code>/.exec(body)?.[1];
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(body).toMatch(
        /<div class="qr" role="img" aria-label="[^"]+"><svg xmlns="http:\/\/www.w3.org\/2000\/svg"/,
      );
      expect(body).not.toMatch(/<script/i);
      expect((await t.app.get(MfaService).status(op.id)).state).toBe('pending');
      // The secret is in the page only, never in the audit trail.
      const started = (await storedEvents(t.app.get(DataSource), 'auth.mfa.enrolment_started')).filter(
        (e) => e.target_id === op.id,
      );
      expect(started).toHaveLength(1);
      expect(JSON.stringify(started)).not.toContain(secret!);

      // A wrong code: the page again, without the secret (shown once), nothing started.
      const wrong = await submit(passed, { code: '000000' });
      expect(wrong.statusCode).toBe(400);
      expect(wrong.body).toContain('That code is not correct.');
      expect(wrong.body).not.toContain(secret!);
      expect(sessionCookieOf(wrong)).toBeUndefined();
      // Enrolment takes a code, never a recovery code.
      expect((await submit(passed, { recovery_code: 'abcd-efgh-ijkl-mnop' })).statusCode).toBe(400);

      const ok = await submit(passed, { code: authenticatorCode(secret!) });
      expect(ok.statusCode).toBe(200);
      const codes = [...ok.body.matchAll(/<li><code>([a-z0-9-]+)<\/code><\/li>/g)].map((m) => m[1]);
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      expect(ok.headers['cache-control']).toBe('no-store');
      const next = /<a id="continue" href="([^"]+)">/.exec(ok.body)?.[1].replaceAll('&amp;', '&');
      expect(next).toMatch(/^\/oauth\/authorize\?/);
      expect((await t.app.get(MfaService).status(op.id)).state).toBe('active');
      const { token } = await finish(ok, passed.verifier, next);
      expect(token.scope.split(' ').sort()).toEqual(['admin', 'orders:read']);
      expect((await sessionsOf(op.id))[0].details).toMatchObject({ amr: ['pwd', 'otp'] });

      // From now on the operator types a code at every sign-in, and a recovery code works.
      const later = await passPassword(op.username, 'orders:read');
      expect(later.page.statusCode).toBe(200);
      expect(later.page.body).toContain('<label for="recovery_code">');
      expect((await submit(later, { recovery_code: codes[0] })).statusCode).toBe(303);

      // Neither the secret nor a recovery code reached a log line, an audit event or a URL.
      // (Six-digit codes are left out: any hash or timestamp may hold six digits by chance.)
      const audit = JSON.stringify(await storedEvents(t.app.get(DataSource)));
      for (const value of [secret!, ...codes]) {
        expect(t.logs.text).not.toContain(value);
        expect(audit).not.toContain(value);
        expect(next).not.toContain(value);
        expect(String(ok.headers.location ?? '')).not.toContain(value);
      }
    });
  });
});
