import { beforeAll, describe, expect, it } from 'vitest';
import { form, postForm, TEST_ADMIN_PASSWORD } from '../support/auth.js';
import { authorizeQuery, cookiePair, formFields, pkce, setCookies } from '../support/sign-in.js';
import type { TcpProxy } from '../support/tcp-proxy.js';
import { useTestApp } from '../support/use-test-app.js';

/** Our faults are 5xx with Retry-After, never a 4xx, on the browser endpoints too. */
describe('browser sign-in while the database is down', () => {
  const t = useTestApp({
    env: {
      ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      ORDEROPS_WEB_REDIRECT_URIS: 'https://app.example.com/callback',
      STRICT_RATE_LIMIT_PER_MINUTE: '10000',
    },
    behindProxy: true,
    signIn: [],
  });
  let proxy: TcpProxy;
  const query = authorizeQuery({
    response_type: 'code',
    client_id: 'orderops-web',
    redirect_uri: 'https://app.example.com/callback',
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
  });
  let fields: { csrfToken: string; authorization: string };
  let cookie: string;

  beforeAll(async () => {
    proxy = t.proxy;
    const page = await t.app.inject({ method: 'GET', url: `/oauth/authorize?${query}` });
    fields = formFields(page.body);
    cookie = cookiePair([...setCookies(page).values()][0]);
    proxy.cut();
  });

  const expectOutagePage = (res: { statusCode: number; headers: Record<string, unknown>; body: string }) => {
    expect(res.statusCode, res.body).toBe(503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(String(res.headers['content-type'])).toContain('text/html');
    expect(res.headers.location).toBeUndefined();
    expect(res.body).toContain('Try again shortly');
  };

  it('GET /oauth/authorize answers a 503 page with Retry-After', async () => {
    expectOutagePage(await t.app.inject({ method: 'GET', url: `/oauth/authorize?${query}` }));
  });

  it('POST /oauth/sign-in answers a 503 page with Retry-After, not "wrong password"', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      payload: form({
        csrf_token: fields.csrfToken,
        authorization: fields.authorization,
        username: 'admin',
        password: TEST_ADMIN_PASSWORD,
      }),
    });
    expectOutagePage(res);
  });

  it('the code exchange answers 503 temporarily_unavailable with Retry-After', async () => {
    const res = await postForm(t.app, '/oauth/token', {
      grant_type: 'authorization_code',
      client_id: 'orderops-web',
      code: 'A'.repeat(43),
      code_verifier: pkce().verifier,
    });
    expect(res.statusCode).toBe(503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.json()).toMatchObject({ error: 'temporarily_unavailable' });
  });
});
