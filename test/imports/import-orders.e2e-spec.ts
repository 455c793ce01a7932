import { beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../support/auth.js';
import { postImport, uniqueCsv, type ImportReportBody } from '../support/imports.js';
import { useTestApp } from '../support/use-test-app.js';

interface OrderIdsPage {
  items: string[];
  nextCursor: string | null;
}

describe('GET /orders/imports/:id/orders: the ids of the orders an import created', () => {
  const t = useTestApp({
    env: { RATE_LIMIT_PER_MINUTE: '100000' },
    operators: { loader: ['orders:import', 'orders:read'], viewer: ['orders:read'] },
  });
  let loader: string;
  let importId: string;
  let created: number;

  const page = (query = '', token = loader, id = importId) =>
    t.app.inject({ method: 'GET', url: `/orders/imports/${id}/orders${query}`, headers: bearer(token) });

  beforeAll(async () => {
    loader = t.token('loader');
    // Five orders (uniqueCsv adds one row of its own) and one rejected row.
    const res = await postImport(
      t.app,
      loader,
      uniqueCsv(['Lamp,10.00,1', 'Desk,99.50,2', 'Chair,45.00,4', 'Broken,,1', 'Shelf,12.25,1']),
    );
    expect(res.statusCode, res.body).toBe(201);
    const report = res.json<ImportReportBody>();
    importId = report.id;
    created = report.orders;
    expect(created).toBe(5);
  });

  it('lists exactly the orders GET /orders?importId= finds, oldest first', async () => {
    const res = await page();
    expect(res.statusCode).toBe(200);
    const body = res.json<OrderIdsPage>();
    expect(body.items).toHaveLength(created);
    expect(body.nextCursor).toBeNull();
    expect([...body.items].sort()).toEqual(body.items);
    const listed = await t.app.inject({
      method: 'GET',
      url: `/orders?importId=${importId}&limit=100`,
      headers: bearer(loader),
    });
    const ids = listed.json<{ items: { id: string }[] }>().items.map((o) => o.id);
    expect([...ids].sort()).toEqual(body.items);
  });

  it('pages with limit and the cursor it hands out, without repeating or skipping an id', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await page(`?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.statusCode).toBe(200);
      const body = res.json<OrderIdsPage>();
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items);
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual((await page()).json<OrderIdsPage>().items);
  });

  it('an import that created no order answers an empty page', async () => {
    const res = await postImport(t.app, loader, 'product,price,quantity\nBroken,,1\n');
    expect(res.statusCode, res.body).toBe(201);
    const empty = await page('', loader, res.json<ImportReportBody>().id);
    expect(empty.json<OrderIdsPage>()).toEqual({ items: [], nextCursor: null });
  });

  it('refuses a bad limit, a cursor it did not issue and a malformed id, with 400', async () => {
    for (const query of ['?limit=0', '?limit=1001', '?limit=two', '?cursor=not-a-cursor']) {
      const res = await page(query);
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await page('', loader, 'not-an-import')).statusCode).toBe(400);
  });

  it('answers 404 for an unknown import and 403 without the orders:import scope', async () => {
    expect((await page('', loader, 'IMP-01J00000000000000000000000')).statusCode).toBe(404);
    expect((await page('', t.token('viewer'))).statusCode).toBe(403);
    expect(
      (await t.app.inject({ method: 'GET', url: `/orders/imports/${importId}/orders` })).statusCode,
    ).toBe(401);
  });
});
