import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_PASSWORD, tokenFor } from './support/auth.js';
import { withScreenshots } from './support/browser-failure.js';
import { frontend } from './support/browser-flow.js';
import { launchChromium, newContext } from './support/chromium.js';
import { order } from './support/orders.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { provisionTestDatabase, type TestDatabase } from './support/test-database.js';

interface UpdateFlow {
  created: number;
  location: string | null;
  etag: string | null;
  replayed: number;
  patched: number;
  nextEtag: string | null;
  requestId: string | null;
  stale: number;
  staleType: string;
}

/**
 * The order update flow a browser frontend runs, as the page's own script: an idempotent
 * create, then a conditional PATCH with the ETag it read, then the same PATCH again (stale).
 */
function updateFlowScript(api: string, token: string): string {
  return `(async () => {
    const api = ${JSON.stringify(api)};
    const auth = { Authorization: 'Bearer ' + ${JSON.stringify(token)}, 'Content-Type': 'application/json' };
    const create = () => fetch(api + '/orders', {
      method: 'POST',
      headers: { ...auth, 'Idempotency-Key': 'browser-flow-1' },
      body: JSON.stringify(${JSON.stringify(order())}),
    });
    const created = await create();
    const body = await created.json();
    const replayed = await create();
    const etag = created.headers.get('ETag');
    const patch = () => fetch(api + '/orders/' + body.id, {
      method: 'PATCH',
      headers: { ...auth, 'If-Match': etag },
      body: JSON.stringify({ status: 'paid' }),
    });
    const patched = await patch();
    const stale = await patch();
    return {
      created: created.status,
      location: created.headers.get('Location'),
      etag,
      replayed: replayed.status,
      patched: patched.status,
      nextEtag: patched.headers.get('ETag'),
      requestId: patched.headers.get('X-Request-Id'),
      stale: stale.status,
      staleType: (await stale.json()).type,
    };
  })()`;
}

/**
 * The browser's own CORS checks are under test: the pages' requests go over the network as
 * Chromium sends them (no route interception, which would answer in its place).
 */
describe('CORS in a real browser (headless Chromium)', () => {
  let allowed: { server: Server; origin: string };
  let other: { server: Server; origin: string };
  let db: TestDatabase;
  let t: TestApp;
  let api: string;
  let token: string;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    allowed = await frontend();
    other = await frontend();
    db = await provisionTestDatabase();
    t = await startTestApp({
      ...db.env,
      ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      CORS_ORIGINS: allowed.origin,
      // Small enough for the page to reach with requests that carry no token (below).
      RATE_LIMIT_PER_MINUTE: '30',
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    api = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    token = (await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD, 'orders:read orders:write')).access_token;
    browser = await launchChromium();
    context = await newContext(browser);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await db?.dispose();
    allowed?.server.close();
    other?.server.close();
  });

  const ordersCount = async (): Promise<number> => {
    const res = await fetch(`${api}/orders?limit=100`, { headers: { authorization: `Bearer ${token}` } });
    return ((await res.json()) as { items: unknown[] }).items.length;
  };

  it(
    'a page from a disallowed origin cannot update or create: the preflight fails and nothing is sent',
    withScreenshots(async () => {
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const created = await fetch(`${api}/orders`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify(order()),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      const etag = created.headers.get('etag');
      const before = await ordersCount();

      const page = await context.newPage();
      await page.goto(`${other.origin}/`);
      const attempt = (method: string, path: string, headers: Record<string, string>, body: unknown) =>
        page.evaluate<string>(
          `fetch(${JSON.stringify(`${api}${path}`)}, {
           method: ${JSON.stringify(method)},
           headers: ${JSON.stringify({ Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers })},
           body: ${JSON.stringify(JSON.stringify(body))},
         }).then((r) => 'status ' + r.status, (e) => e.name)`,
        );
      expect(await attempt('PATCH', `/orders/${id}`, { 'If-Match': String(etag) }, { status: 'paid' })).toBe(
        'TypeError',
      );
      expect(await attempt('POST', '/orders', { 'Idempotency-Key': 'other-origin-1' }, order())).toBe(
        'TypeError',
      );
      // A simple GET is sent, but its response is withheld from the page.
      const read = await page.evaluate<string>(
        `fetch(${JSON.stringify(`${api}/health/live`)}).then((r) => 'status ' + r.status, (e) => e.name)`,
      );
      expect(read).toBe('TypeError');

      const after = await fetch(`${api}/orders/${id}`, { headers: auth });
      expect(after.headers.get('etag')).toBe(etag);
      expect(((await after.json()) as { status: string }).status).toBe('placed');
      expect(await ordersCount()).toBe(before);
    }),
  );

  it(
    'a page from an allowed origin creates with Idempotency-Key and updates with If-Match, reading ETag',
    withScreenshots(async () => {
      const page = await context.newPage();
      await page.goto(`${allowed.origin}/`);
      const flow = await page.evaluate<UpdateFlow>(updateFlowScript(api, token));
      expect(flow).toMatchObject({ created: 201, replayed: 201, patched: 200, stale: 412 });
      expect(flow.location).toMatch(/^\/orders\//);
      expect(flow.etag).toMatch(/^"\d+"$/);
      expect(flow.nextEtag).toMatch(/^"\d+"$/);
      expect(flow.nextEtag).not.toBe(flow.etag);
      expect(flow.requestId).toBeTruthy();
      expect(flow.staleType).toMatch(/precondition-failed$/);
    }),
  );

  it(
    'the page reads WWW-Authenticate on a 401 and Retry-After on a 429',
    withScreenshots(async () => {
      const page = await context.newPage();
      await page.goto(`${allowed.origin}/`);
      const seen = await page.evaluate<{
        challenge: string | null;
        status: number;
        retryAfter: string | null;
      }>(
        `(async () => {
         const url = ${JSON.stringify(`${api}/orders`)};
         const first = await fetch(url);
         const challenge = first.headers.get('WWW-Authenticate');
         for (let i = 0; i < 60; i++) {
           const res = await fetch(url);
           if (res.status === 429) return { challenge, status: 429, retryAfter: res.headers.get('Retry-After') };
         }
         return { challenge, status: 0, retryAfter: null };
       })()`,
      );
      expect(seen.challenge).toMatch(/^Bearer /);
      expect(seen.status).toBe(429);
      expect(Number(seen.retryAfter)).toBeGreaterThan(0);
    }),
  );
});
