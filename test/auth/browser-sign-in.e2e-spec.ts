import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_PASSWORD } from '../support/auth.js';
import type { Browser, BrowserContext } from 'playwright-core';
import { authorizeUrl, backAt, frontend, signIn } from '../support/browser-flow.js';
import { withScreenshots } from '../support/browser-failure.js';
import { launchChromium, newContext } from '../support/chromium.js';
import { pkce } from '../support/sign-in.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { provisionTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * Issue 13 §6: a frontend-style sign-in in headless Chromium, so the browser's own rules
 * (CSP of the page, form-action over the redirect chain, cookies, CORS of the token call)
 * are the ones under test: authorize -> sign-in page -> redirect -> code exchange -> API.
 */
describe('browser sign-in in a real browser (headless Chromium)', () => {
  let spa: { server: Server; origin: string };
  let db: TestDatabase;
  let t: TestApp;
  let api: string;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    spa = await frontend();
    db = await provisionTestDatabase();
    t = await startTestApp({
      ...db.env,
      ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      CORS_ORIGINS: spa.origin,
      // Loopback: any port, so the SPA's ephemeral one matches (RFC 8252 §7.3).
      ORDEROPS_WEB_REDIRECT_URIS: 'http://127.0.0.1/callback',
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    api = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await launchChromium();
    context = await newContext(browser);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await db?.dispose();
    spa?.server.close();
  });

  it(
    'signs the operator in through the page and the SPA calls the API with the token',
    withScreenshots(async () => {
      const { verifier, challenge } = pkce();
      const redirectUri = `${spa.origin}/callback`;
      const authorize = authorizeUrl(api, {
        response_type: 'code',
        client_id: 'orderops-web',
        redirect_uri: redirectUri,
        scope: 'orders:read',
        state: 'browser-state-1',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      const page = await context.newPage();
      await page.goto(authorize.href);
      // The page rendered under its CSP: the nonce'd style applied, the labels in place.
      const rendered = await page.evaluate<{ label: string; font: string; cookie: string }>(`({
      label: document.querySelector('label[for=username]').textContent,
      font: getComputedStyle(document.querySelector('button')).fontWeight,
      cookie: document.cookie,
    })`);
      expect(rendered.label).toBe('Username');
      expect(rendered.font).toBe('600');
      // HttpOnly: no script sees the pre-session.
      expect(rendered.cookie).toBe('');

      await signIn(page, 'admin', TEST_ADMIN_PASSWORD);
      // The form's redirect chain ends at the SPA: Chromium applies the page's form-action to
      // every hop, so the page names the client's redirect origin there (without it, the
      // navigation is blocked and this times out).
      const callback = await backAt(page, spa.origin);
      expect(callback.pathname).toBe('/callback');
      expect(callback.searchParams.get('state')).toBe('browser-state-1');
      expect(callback.searchParams.get('iss')).toBe(t.config.auth.issuer);
      const code = callback.searchParams.get('code');
      expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);

      // What an SPA does next, from its own origin: the code exchange, then an API call.
      const result = await page.evaluate<{
        token: number;
        scope: string;
        orders: number;
        again: number;
      }>(`(async () => {
      const api = ${JSON.stringify(api)};
      const body = new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: 'orderops-web',
        code: ${JSON.stringify(code)},
        code_verifier: ${JSON.stringify(verifier)},
        redirect_uri: ${JSON.stringify(redirectUri)},
      });
      const token = await fetch(api + '/oauth/token', { method: 'POST', body });
      const tokens = await token.json();
      const orders = await fetch(api + '/orders', { headers: { Authorization: 'Bearer ' + tokens.access_token } });
      const again = await fetch(api + '/oauth/token', { method: 'POST', body });
      return { token: token.status, scope: tokens.scope, orders: orders.status, again: again.status };
    })()`);
      expect(result).toEqual({ token: 200, scope: 'orders:read', orders: 200, again: 400 });

      // The session now lets the SPA through without the page.
      const second = pkce();
      authorize.searchParams.set('code_challenge', second.challenge);
      authorize.searchParams.set('state', 'browser-state-2');
      await page.goto(authorize.href);
      const silent = await backAt(
        page,
        spa.origin,
        (url) => url.searchParams.get('state') === 'browser-state-2',
      );
      expect(silent.searchParams.get('code')).toBeTruthy();
    }),
    60_000,
  );
});
