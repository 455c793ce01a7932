import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import { storedEvents } from '../support/audit.js';
import { bearer, form, postForm, TEST_OPERATOR_PASSWORD, type TokenBody } from '../support/auth.js';
import { authorizeQuery, formFields, pkce, signInThrough } from '../support/sign-in.js';
import { useTestApp } from '../support/use-test-app.js';

/**
 * Third-party clients get a consent step listing the scopes (issue 13 §2); first-party ones
 * skip it. The answer is a POST with a CSRF token bound to the session; denying sends
 * access_denied back to the client.
 */

const WEB_REDIRECT = 'https://app.example.com/callback';
const PARTNER_REDIRECT = 'https://partner.example.com/cb';

describe('consent for third-party clients', () => {
  const t = useTestApp({
    env: {
      ORDEROPS_WEB_REDIRECT_URIS: WEB_REDIRECT,
      STRICT_RATE_LIMIT_PER_MINUTE: '10000',
      RATE_LIMIT_PER_MINUTE: '10000',
    },
    operators: { clerk: ['orders:read', 'orders:write'] },
    signIn: ['admin'],
  });
  let partnerId: string;
  let sessionCookie: string;

  beforeAll(async () => {
    const partner = await t.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: bearer(t.token('admin')),
      payload: {
        name: 'Partner <Dashboard>',
        scopes: ['orders:read'],
        tokenEndpointAuthMethod: 'none',
        redirectUris: [PARTNER_REDIRECT],
      },
    });
    partnerId = partner.json<{ clientId: string }>().clientId;
    const web = authorizeQuery({
      response_type: 'code',
      client_id: 'orderops-web',
      redirect_uri: WEB_REDIRECT,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    });
    ({ sessionCookie } = await signInThrough(t.app, web, 'clerk', TEST_OPERATOR_PASSWORD));
  });

  const partnerAuthorize = (challenge: string, cookie = sessionCookie) =>
    t.app.inject({
      method: 'GET',
      url: `/oauth/authorize?${authorizeQuery({
        response_type: 'code',
        client_id: partnerId,
        redirect_uri: PARTNER_REDIRECT,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 'p-1',
      })}`,
      headers: { cookie },
    });
  const answer = (fields: Record<string, string>, cookie = sessionCookie) =>
    t.app.inject({
      method: 'POST',
      url: '/oauth/consent',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      payload: form(fields),
    });

  it('shows the scopes the client would get (asked, narrowed to what client and operator hold), escaped', async () => {
    const res = await partnerAuthorize(pkce().challenge);
    expect(res.statusCode).toBe(200);
    expect(res.headers.location).toBeUndefined();
    expect(res.body).toContain('Allow Partner &lt;Dashboard&gt;?');
    expect(res.body).toContain('<code>orders:read</code>');
    // The client does not hold orders:write, so it is neither asked for nor shown.
    expect(res.body).not.toContain('orders:write');
    expect(res.body).not.toMatch(/<script/i);
    expect(String(res.headers['content-security-policy'])).toContain(
      "form-action 'self' https://partner.example.com",
    );
  });

  describe('refuses the answer when', () => {
    it.each([
      ['the CSRF token is missing', ''],
      ['the CSRF token is wrong', 'A'.repeat(43)],
    ])('%s (403, no code)', async (_, token) => {
      const page = await partnerAuthorize(pkce().challenge);
      const { authorization } = formFields(page.body);
      const res = await answer({ csrf_token: token, authorization, decision: 'allow' });
      expect(res.statusCode).toBe(403);
      expect(res.headers.location).toBeUndefined();
    });

    it('the token is a sign-in form token bound to the same secret (purposes do not mix)', async () => {
      // A sign-in page whose pre-session value is the session's secret: its token is the
      // HMAC of that secret under the sign-in purpose.
      const planted = sessionCookie.replace('orderops_session=', 'orderops_presession=');
      const signInPage = await t.app.inject({
        method: 'GET',
        url: `/oauth/authorize?${authorizeQuery({
          response_type: 'code',
          client_id: partnerId,
          redirect_uri: PARTNER_REDIRECT,
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
        })}`,
        headers: { cookie: planted },
      });
      expect(signInPage.body).toContain('action="/oauth/sign-in"');
      const page = await partnerAuthorize(pkce().challenge);
      const res = await answer({
        csrf_token: formFields(signInPage.body).csrfToken,
        authorization: formFields(page.body).authorization,
        decision: 'allow',
      });
      expect(res.statusCode).toBe(403);
    });

    it('there is no session: back to the sign-in page', async () => {
      const page = await partnerAuthorize(pkce().challenge);
      const fields = formFields(page.body);
      const res = await answer(
        { csrf_token: fields.csrfToken, authorization: fields.authorization, decision: 'allow' },
        '',
      );
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('action="/oauth/sign-in"');
    });
  });

  it('deny: access_denied to the client with state and iss, audited', async () => {
    const page = await partnerAuthorize(pkce().challenge);
    const fields = formFields(page.body);
    const res = await answer({
      csrf_token: fields.csrfToken,
      authorization: fields.authorization,
      decision: 'deny',
    });
    expect(res.statusCode).toBe(303);
    const location = new URL(String(res.headers.location));
    expect(`${location.origin}${location.pathname}`).toBe(PARTNER_REDIRECT);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('p-1');
    expect(location.searchParams.get('iss')).toBe(t.config.auth.issuer);
    expect(location.searchParams.get('code')).toBeNull();
    const denied = await storedEvents(t.app.get(DataSource), 'auth.consent.denied');
    expect(denied.at(-1)?.target_id).toBe(partnerId);
  });

  it('allow: a code the client exchanges for the consented scopes, audited; asked again next time', async () => {
    const { verifier, challenge } = pkce();
    const page = await partnerAuthorize(challenge);
    const fields = formFields(page.body);
    const res = await answer({
      csrf_token: fields.csrfToken,
      authorization: fields.authorization,
      decision: 'allow',
    });
    expect(res.statusCode).toBe(303);
    const location = new URL(String(res.headers.location));
    expect(location.searchParams.get('state')).toBe('p-1');
    const token = await postForm(t.app, '/oauth/token', {
      grant_type: 'authorization_code',
      client_id: partnerId,
      code: location.searchParams.get('code') ?? '',
      code_verifier: verifier,
      redirect_uri: PARTNER_REDIRECT,
    });
    expect(token.statusCode, token.body).toBe(200);
    expect(token.json<TokenBody>().scope).toBe('orders:read');
    const granted = await storedEvents(t.app.get(DataSource), 'auth.consent.granted');
    expect(granted.at(-1)?.details).toMatchObject({ scopes: ['orders:read'] });
    const again = await partnerAuthorize(pkce().challenge);
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain('action="/oauth/consent"');
  });

  it('first-party clients skip it', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/oauth/authorize?${authorizeQuery({
        response_type: 'code',
        client_id: 'orderops-web',
        redirect_uri: WEB_REDIRECT,
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
      })}`,
      headers: { cookie: sessionCookie },
    });
    expect(res.statusCode).toBe(302);
  });
});
