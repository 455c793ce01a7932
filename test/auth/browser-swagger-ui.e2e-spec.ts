import type { Browser, BrowserContext, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_PASSWORD } from '../support/auth.js';
import { withScreenshots } from '../support/browser-failure.js';
import { signIn } from '../support/browser-flow.js';
import { launchChromium, networkLog, newContext } from '../support/chromium.js';
import { freePort } from '../support/processes.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { provisionTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * Issue 13 §5/§6: QA signs in from the app's own /docs in a real browser. Swagger UI's
 * Authorize runs the authorization code flow with PKCE as the public client orderops-docs:
 * its popup goes through the sign-in page and comes back to /docs/oauth2-redirect.html,
 * Swagger UI exchanges the code, and "Try it out" on GET /orders answers 200, all without
 * a Basic challenge (the native login dialog) and without the password flow on offer.
 *
 * The issuer is the URL the app is reached at (ORDEROPS_ISSUER, as in a deployment), so the
 * app listens on a port chosen before it starts.
 */
describe('Swagger UI signs in through the sign-in page (headless Chromium)', () => {
  let db: TestDatabase;
  let t: TestApp;
  let api: string;
  let browser: Browser;
  let context: BrowserContext;
  let responses: readonly Response[];

  beforeAll(async () => {
    db = await provisionTestDatabase();
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    t = await startTestApp({
      ...db.env,
      ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      ORDEROPS_ISSUER: api,
      DOCS_ENABLED: 'true',
    });
    await t.app.listen({ port, host: '127.0.0.1' });
    browser = await launchChromium();
    context = await newContext(browser);
    responses = networkLog(context);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await db?.dispose();
  });

  it(
    'Authorize -> sign-in page -> back authorized -> Try it out on GET /orders answers 200',
    withScreenshots(async () => {
      const docs = await context.newPage();
      await docs.goto(`${api}/docs`);
      // Real clicks throughout: a trusted user gesture, so Chromium lets Authorize open its popup.
      await docs.locator('.btn.authorize').first().click();
      // The dialog offers exactly the two flows of the document: no password flow.
      const modal = docs.locator('.modal-ux');
      await modal.locator('.auth-container').first().waitFor();
      expect(await modal.locator('.auth-container .flow code').allTextContents()).toEqual([
        'authorizationCode with PKCE',
        'clientCredentials',
      ]);
      const clientId = docs.locator('#client_id_authorizationCode');
      expect(await clientId.inputValue()).toBe('orderops-docs');

      const codeFlow = modal.locator('.auth-container', { has: clientId });
      // Swagger UI hides the checkbox itself behind its label, which is what a person clicks.
      await codeFlow.locator('label[for="orders:read-authorizationCode-checkbox-oauth2"]').click();
      const opened = docs.waitForEvent('popup');
      await codeFlow.locator('button.authorize').click();
      const signInPage = await opened;
      await signInPage.getByLabel('Username', { exact: true }).waitFor();
      const authorize = new URL(signInPage.url());
      expect(authorize.origin + authorize.pathname).toBe(`${api}/oauth/authorize`);
      expect(authorize.searchParams.get('client_id')).toBe('orderops-docs');
      expect(authorize.searchParams.get('redirect_uri')).toBe(`${api}/docs/oauth2-redirect.html`);
      expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authorize.searchParams.get('scope')?.split(' ')).toContain('orders:read');
      await signIn(signInPage, 'admin', TEST_ADMIN_PASSWORD);

      // oauth2-redirect.html hands the code to Swagger UI and closes; Swagger UI exchanges it.
      await modal.locator('.auth-container', { hasText: 'Logout' }).first().waitFor();
      const exchange = responses.find((r) => r.url() === `${api}/oauth/token`);
      expect(exchange?.status()).toBe(200);
      await modal.locator('.btn-done, .close-modal').first().click();

      // "Try it out" -> "Execute" on GET /orders, a route needing orders:read.
      const operation = docs.locator('#operations-orders-OrdersController_list');
      await operation.locator('.opblock-summary-control').click();
      await operation.locator('.try-out__btn').click();
      await operation.locator('.execute').click();
      const status = operation.locator('.live-responses-table tbody .response-col_status').first();
      await status.waitFor();
      expect((await status.textContent())?.trim()).toMatch(/^200/);
      const call = responses.find((r) => new URL(r.url()).pathname === '/orders');
      expect(call?.status()).toBe(200);

      // No Basic challenge anywhere (that is what pops the browser's native login dialog).
      const basic = responses
        .filter((r) => r.status() === 401 || /basic/i.test(r.headers()['www-authenticate'] ?? ''))
        .map((r) => `${r.status()} ${r.url()}`);
      expect(basic).toEqual([]);
    }),
    90_000,
  );
});
