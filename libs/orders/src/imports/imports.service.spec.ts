import { HOUSE_REACH, reachOf, type Principal } from '@orderops/access';
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedEvents } from '../../../../test/support/audit.js';
import { startTestApp, type TestApp } from '../../../../test/support/test-app.js';
import { provisionTestDatabase, type TestDatabase } from '../../../../test/support/test-database.js';
import { ImportDuplicateError, ImportNotFoundError, ImportRejectedError } from '../orders.errors.js';
import { OrdersService } from '../orders/orders.service.js';
import type { ImportSource } from './import-source.js';
import { ImportsService, type ImportRequester } from './imports.service.js';

// ImportsService on the embedded database (or DATABASE_URL's), called directly: the CSV
// row checks, the total rule shared with POST /orders, duplicates, strict mode and audit.

const operator: Principal = {
  type: 'operator',
  id: '0190a6b2-7f00-7000-8000-000000000002',
  clientId: 'orderops-web',
  scopes: ['orders:import', 'orders:write'],
  tokenId: 'jti-importer',
};
const requester: ImportRequester = {
  createdBy: `operator:${operator.id}`,
  actor: { type: 'operator', id: operator.id },
  reach: HOUSE_REACH,
};

const source = (csv: string): ImportSource => ({
  receive: () => Promise.resolve(),
  open: () => Readable.from([Buffer.from(csv)]),
  dispose: () => Promise.resolve(),
});

let files = 0;
/** A file no earlier case imported (duplicates are detected by content). */
const unique = (lines: string[], header = 'product,price,quantity,order_ref'): string => {
  files += 1;
  return `${[header, ...lines].join('\n')}\nUnique file ${files},1.00,1,\n`;
};

describe('ImportsService', () => {
  let db: TestDatabase;
  let t: TestApp;
  let imports: ImportsService;
  let ds: DataSource;
  const lenient = { strict: false, allowDuplicate: false };

  beforeAll(async () => {
    db = await provisionTestDatabase();
    t = await startTestApp(db.env);
    imports = t.app.get(ImportsService);
    ds = t.app.get(DataSource);
  });

  afterAll(async () => {
    await t?.close();
    await db?.dispose();
  });

  const ordersOf = (importStarted: string) =>
    ds.query<{ total: string; items: string }[]>(
      `SELECT o.total::text AS total, count(i.*)::text AS items FROM orders o JOIN order_items i ON i.order_id = o.id
        WHERE o.note IS NULL AND o.created_by = $1 AND o.id > $2 GROUP BY o.id ORDER BY o.id`,
      [requester.createdBy, importStarted],
    );

  it('totals an order exactly as POST /orders does (one rule), and groups rows by order_ref', async () => {
    const items = [
      { product: 'Pen', unitPrice: '0.10', quantity: 3 },
      { product: 'Ink', unitPrice: '19.99', quantity: 3 },
    ];
    const posted = await t.app.get(OrdersService).create(operator, HOUSE_REACH, { currency: 'EUR', items });
    const csv = unique(items.map((i) => `${i.product},${i.unitPrice},${i.quantity},R1`));
    const report = await imports.import(requester, source(csv), lenient);
    expect(report).toMatchObject({ status: 'completed', rows: 3, accepted: 3, rejected: 0, orders: 2 });
    const stored = await ordersOf(posted.order.id);
    expect(stored).toEqual([
      { total: posted.order.total, items: '2' },
      { total: '1.00', items: '1' },
    ]);
    expect(posted.order.total).toBe('60.27');
  });

  it('reports bad rows by line and column and imports the rest', async () => {
    const csv = unique([
      'Pen,1.00,1,',
      ',1.00,1,',
      'Ink,1.001,1,',
      'Pad,2.00,1,A',
      'Cap,2.00,1,B',
      'Tag,2.00,1,A',
      'Box,2.00,1.5,',
    ]);
    const report = await imports.import(requester, source(csv), lenient);
    expect(report).toMatchObject({ status: 'completed', rows: 8, accepted: 4, rejected: 4, orders: 4 });
    expect(report.rejects.map((r) => [r.line, r.errors.map((e) => `${e.field}:${e.code}`)])).toEqual([
      [3, ['product:too_short']],
      [4, ['price:too_many_decimals']],
      [7, ['order_ref:not_adjacent']],
      [8, ['quantity:not_an_integer']],
    ]);
    // Counts and lines only: never a cell's value.
    expect(JSON.stringify(report)).not.toMatch(/Ink|1\.001/);
  });

  it('summarises in import.completed instead of one order.created per order', async () => {
    const before = (await storedEvents(ds, 'order.created')).length;
    const report = await imports.import(requester, source(unique(['Pen,1.00,1,', 'Ink,2.00,1,'])), lenient);
    expect((await storedEvents(ds, 'order.created')).length).toBe(before);
    const events = (await storedEvents(ds, 'import.completed')).filter((e) => e.target_id === report.id);
    expect(events.map((e) => e.details)).toEqual([
      { rows: 3, accepted: 3, rejected: 0, orders: 3, customersCreated: 0, strict: false },
    ]);
  });

  it('strict: one bad row fails the import and stores none of its orders', async () => {
    const csv = unique(['Strict pen,1.00,1,', 'Strict ink,0,1,']);
    const error = await imports
      .import(requester, source(csv), { strict: true, allowDuplicate: false })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportRejectedError);
    const [{ n }] = await ds.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM order_items WHERE product LIKE 'Strict %'`,
    );
    expect(n).toBe('0');
    const failed = (await storedEvents(ds, 'import.failed')).at(-1);
    expect(failed?.details).toMatchObject({ reason: 'import-rejected', rows: 3, rejected: 1 });
  });

  it('refuses the same file twice for one owner, naming the first; allowDuplicate imports it again', async () => {
    const csv = unique(['Twice,1.00,1,']);
    const first = await imports.import(requester, source(csv), lenient);
    const again = await imports.import(requester, source(csv), lenient).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ImportDuplicateError);
    expect((again as ImportDuplicateError).detail).toContain(first.id);
    const allowed = await imports.import(requester, source(csv), { strict: false, allowDuplicate: true });
    expect(allowed.status).toBe('completed');
    // Duplicates are per owner: a partner importing the same bytes is not refused.
    const partner = reachOf({ type: 'client', id: 'imports-partner' });
    const theirs = await imports.import(
      {
        createdBy: 'client:imports-partner',
        actor: { type: 'client', id: 'imports-partner' },
        reach: partner,
      },
      source(csv),
      lenient,
    );
    expect(theirs.status).toBe('completed');
    await expect(imports.get(first.id, partner)).rejects.toBeInstanceOf(ImportNotFoundError);
    expect(await imports.get(first.id, HOUSE_REACH)).toMatchObject({ id: first.id, status: 'completed' });
  });
});
