import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_PASSWORD } from '../support/auth.js';
import { withScreenshots } from '../support/browser-failure.js';
import { waitFor } from '../support/browser-flow.js';
import { launchChromium, type HeadlessChromium } from '../support/headless-chromium.js';
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
  let browser: HeadlessChromium;

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
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await db?.dispose();
  });

  it(
    'Authorize -> sign-in page -> back authorized -> Try it out on GET /orders answers 200',
    withScreenshots(async () => {
      const docs = await browser.open(`${api}/docs`);
      await waitFor<boolean>(
        docs,
        `document.querySelector('.btn.authorize') && (document.querySelector('.btn.authorize').click(), true)`,
        'the Authorize button',
      );
      // The dialog offers exactly the two flows of the document: no password flow.
      const dialog = await waitFor<{ flows: string[]; clientId: string }>(
        docs,
        `document.querySelector('.modal-ux .auth-container') && ({
          flows: [...document.querySelectorAll('.modal-ux .auth-container .flow code')].map((c) => c.textContent),
          clientId: document.getElementById('client_id_authorizationCode').value,
        })`,
        'the Authorize dialog',
      );
      expect(dialog.flows).toEqual(['authorizationCode with PKCE', 'clientCredentials']);
      expect(dialog.clientId).toBe('orderops-docs');

      const popup = browser.nextPopup();
      await docs.evaluate(`(() => {
        document.getElementById('orders:read-authorizationCode-checkbox-oauth2').click();
        const container = document.getElementById('client_id_authorizationCode').closest('.auth-container');
        container.querySelector('button.authorize').click();
        return true;
      })()`);
      const signIn = await popup;
      const form = await waitFor<{ action: string; url: string }>(
        signIn,
        `document.getElementById('username') && ({ action: document.querySelector('form').action, url: location.href })`,
        'the sign-in page in the popup',
      );
      const authorize = new URL(form.url);
      expect(authorize.origin + authorize.pathname).toBe(`${api}/oauth/authorize`);
      expect(authorize.searchParams.get('client_id')).toBe('orderops-docs');
      expect(authorize.searchParams.get('redirect_uri')).toBe(`${api}/docs/oauth2-redirect.html`);
      expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
      await signIn.evaluate(`(() => {
        document.getElementById('username').value = 'admin';
        document.getElementById('password').value = ${JSON.stringify(TEST_ADMIN_PASSWORD)};
        document.querySelector('form').requestSubmit();
        return true;
      })()`);

      // oauth2-redirect.html hands the code to Swagger UI and closes; Swagger UI exchanges it.
      await waitFor<boolean>(
        docs,
        `[...document.querySelectorAll('.modal-ux .auth-container')].some((c) => c.textContent.includes('Logout'))`,
        'Swagger UI authorized',
      );
      const exchange = browser.responses().find((r) => r.url === `${api}/oauth/token`);
      expect(exchange?.status).toBe(200);
      await docs.evaluate(
        `(document.querySelector('.modal-ux .btn-done, .modal-ux .close-modal').click(), true)`,
      );

      // "Try it out" -> "Execute" on GET /orders, a route needing orders:read.
      await waitFor<boolean>(
        docs,
        `document.getElementById('operations-orders-OrdersController_list') && (document.querySelector('#operations-orders-OrdersController_list .opblock-summary-control').click(), true)`,
        'the GET /orders operation',
      );
      await waitFor<boolean>(
        docs,
        `document.querySelector('#operations-orders-OrdersController_list .try-out__btn') && (document.querySelector('#operations-orders-OrdersController_list .try-out__btn').click(), true)`,
        'Try it out',
      );
      await waitFor<boolean>(
        docs,
        `document.querySelector('#operations-orders-OrdersController_list .execute') && (document.querySelector('#operations-orders-OrdersController_list .execute').click(), true)`,
        'Execute',
      );
      const shown = await waitFor<string>(
        docs,
        `document.querySelector('#operations-orders-OrdersController_list .live-responses-table tbody .response-col_status')?.textContent.trim()`,
        'the response Swagger UI shows',
      );
      expect(shown).toMatch(/^200/);
      const call = browser.responses().find((r) => new URL(r.url).pathname === '/orders');
      expect(call?.status).toBe(200);

      // No Basic challenge anywhere (that is what pops the browser's native login dialog).
      const basic = browser
        .responses()
        .filter((r) => r.status === 401 || /basic/i.test(r.headers['www-authenticate'] ?? ''));
      expect(basic).toEqual([]);
    }),
    90_000,
  );
});
