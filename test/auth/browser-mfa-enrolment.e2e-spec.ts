import { Scope } from '@orderops/access';
import { systemActor } from '@orderops/audit';
import { MfaService, OperatorsService } from '@orderops/auth';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { TEST_ADMIN_PASSWORD, TEST_OPERATOR_PASSWORD } from '../support/auth.js';
import { authorizeUrl, backAt, frontend, signIn } from '../support/browser-flow.js';
import { withScreenshots } from '../support/browser-failure.js';
import { launchChromium, newContext } from '../support/chromium.js';
import { pkce } from '../support/sign-in.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { provisionTestDatabase, type TestDatabase } from '../support/test-database.js';
import { authenticatorCode } from '../support/totp.js';

/**
 * Issue 13 §6: TOTP enrolment in headless Chromium, with admin requiring the second factor:
 * sign in -> enrolment page (the secret as text, the QR code as inline SVG rendered under the
 * page's CSP) -> a code computed from the secret -> the recovery codes -> the redirect with a
 * code -> the exchange, whose token carries admin and opens an admin route; and the code
 * step of an enrolled operator, whose form's redirect chain ends at the client.
 */
describe('the second factor in a real browser (headless Chromium)', () => {
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
      ORDEROPS_MFA_REQUIRED_SCOPES: 'admin',
      CORS_ORIGINS: spa.origin,
      ORDEROPS_WEB_REDIRECT_URIS: 'http://127.0.0.1/callback',
    });
    await t.app
      .get(OperatorsService)
      .create('chief', TEST_OPERATOR_PASSWORD, [Scope.Admin, Scope.OrdersRead], systemActor('spec'));
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
    'enrols, shows the recovery codes once, and the token carries admin',
    withScreenshots(async () => {
      const { verifier, challenge } = pkce();
      const redirectUri = `${spa.origin}/callback`;
      const authorize = authorizeUrl(api, {
        response_type: 'code',
        client_id: 'orderops-web',
        redirect_uri: redirectUri,
        scope: 'admin orders:read',
        state: 'enrol-state',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      const page = await context.newPage();
      await page.goto(authorize.href);
      await signIn(page, 'chief', TEST_OPERATOR_PASSWORD);

      const secret = (await page.locator('#secret').textContent()) ?? '';
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      // The inline SVG is drawn (and sized by the nonce'd style) under the page's CSP.
      const qr = await page
        .getByRole('img', { name: 'QR code of your new authenticator key' })
        .locator('svg')
        .boundingBox();
      expect(qr?.width).toBeGreaterThan(100);
      expect(qr?.height).toBe(qr?.width);
      expect(await page.evaluate(`getComputedStyle(document.querySelector('button')).fontWeight`)).toBe(
        '600',
      );

      await page.getByLabel('Code from your authenticator app').fill(authenticatorCode(secret));
      await page.getByRole('button', { name: 'Confirm', exact: true }).click();
      const codeList = page.locator('#recovery-codes code');
      await codeList.first().waitFor();
      const codes = await codeList.allTextContents();
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);

      await page.getByRole('link', { name: 'Continue', exact: true }).click();
      const callback = await backAt(page, spa.origin);
      expect(callback.searchParams.get('state')).toBe('enrol-state');
      const code = callback.searchParams.get('code');
      expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const result = await page.evaluate<{ token: number; scope: string; admin: number }>(`(async () => {
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
      const admin = await fetch(api + '/admin/operators', { headers: { Authorization: 'Bearer ' + tokens.access_token } });
      return { token: token.status, scope: tokens.scope, admin: admin.status };
    })()`);
      expect(result.token).toBe(200);
      expect(result.scope.split(' ').sort()).toEqual(['admin', 'orders:read']);
      expect(result.admin).toBe(200);
    }),
    60_000,
  );

  it(
    'an enrolled operator types the code and the form’s redirect chain ends at the SPA',
    withScreenshots(async () => {
      const spec = systemActor('spec');
      const deputy = await t.app
        .get(OperatorsService)
        .create('deputy', TEST_OPERATOR_PASSWORD, [Scope.Admin, Scope.OrdersRead], spec);
      const mfa = t.app.get(MfaService);
      const { secret } = await mfa.beginEnrolment(deputy.id, spec);
      expect((await mfa.confirmEnrolment(deputy.id, authenticatorCode(secret, -1), spec)).ok).toBe(true);

      // A context of its own (a cookie jar of its own): the first test's session must not
      // skip the page.
      const own = await newContext(browser);
      // Closed after the test, not in a finally: a failure's screenshot needs it still open.
      onTestFinished(() => own.close());
      const { verifier, challenge } = pkce();
      const redirectUri = `${spa.origin}/callback`;
      const authorize = authorizeUrl(api, {
        response_type: 'code',
        client_id: 'orderops-web',
        redirect_uri: redirectUri,
        scope: 'admin',
        state: 'code-state',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      const page = await own.newPage();
      await page.goto(authorize.href);
      // Each step waits for its element, so it runs once its page is there.
      await signIn(page, 'deputy', TEST_OPERATOR_PASSWORD);
      const code = page.getByLabel('Code from your authenticator app');
      await code.waitFor();
      // The recovery code is on offer too, behind its disclosure.
      expect(await page.getByLabel('Recovery code', { exact: true }).count()).toBe(1);
      await code.fill(authenticatorCode(secret));
      await page.getByRole('button', { name: 'Continue', exact: true }).click();
      const back = await backAt(page, spa.origin);
      expect(back.searchParams.get('state')).toBe('code-state');
      const result = await page.evaluate<{ token: number; scope: string }>(`(async () => {
      const body = new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: 'orderops-web',
        code: ${JSON.stringify(back.searchParams.get('code'))},
        code_verifier: ${JSON.stringify(verifier)},
        redirect_uri: ${JSON.stringify(redirectUri)},
      });
      const token = await fetch(${JSON.stringify(api)} + '/oauth/token', { method: 'POST', body });
      return { token: token.status, scope: (await token.json()).scope };
    })()`);
      expect(result).toEqual({ token: 200, scope: 'admin' });
    }),
    60_000,
  );
});
