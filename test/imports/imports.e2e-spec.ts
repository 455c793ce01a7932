import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { connect, type AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedEvents } from '../support/audit.js';
import { bearer } from '../support/auth.js';
import { postImport, sampleCsv, uniqueCsv, type ImportReportBody } from '../support/imports.js';
import { CANARY, postOrder } from '../support/orders.js';
import { useTestApp } from '../support/use-test-app.js';

interface StoredImportBody extends ImportReportBody {
  createdBy: string;
  sha256: string | null;
  strict: boolean;
  allowDuplicate: boolean;
  startedAt: string;
  finishedAt: string | null;
}

interface OrderBody {
  id: string;
  currency: string;
  total: string;
  createdBy: string;
  items: { product: string; unitPrice: string; quantity: number }[];
  customer: { id: string; name: string; email: string; phone: string | null } | null;
}

const FULL_HEADER = 'product,price,quantity,currency,customer_name,customer_email,customer_phone,order_ref';

async function orderCount(ds: DataSource): Promise<number> {
  const [row] = await ds.query<{ n: string }[]>('SELECT count(*) AS n FROM orders');
  return Number(row.n);
}

async function lastImport(ds: DataSource): Promise<{ id: string; status: string; report: ImportReportBody }> {
  const [row] = await ds.query<{ id: string; status: string; report: ImportReportBody }[]>(
    'SELECT id, status, report FROM imports ORDER BY id DESC LIMIT 1',
  );
  return row;
}

function problem(res: { statusCode: number; headers: Record<string, unknown>; json: <T>() => T }) {
  expect(String(res.headers['content-type'])).toContain('application/problem+json');
  return res.json<{
    type: string;
    status: number;
    detail: string;
    importId?: string;
    report?: ImportReportBody;
  }>();
}

describe('order imports', () => {
  const t = useTestApp({
    env: {
      STRICT_RATE_LIMIT_PER_MINUTE: '10000',
      RATE_LIMIT_PER_MINUTE: '100000',
      // The concurrent-duplicate case runs two uploads of one principal at once.
      IMPORT_MAX_CONCURRENT_PER_PRINCIPAL: '2',
    },
    operators: {
      loader: ['orders:import'],
      viewer: ['orders:read'],
      clerk: ['orders:write', 'orders:read'],
      dpo: ['pii:reveal'],
    },
  });
  let ds: DataSource;
  let importer: string;
  let reader: string;
  let writer: string;
  let revealer: string;

  const getImport = (id: string, token = importer) =>
    t.app.inject({ method: 'GET', url: `/orders/imports/${id}`, headers: bearer(token) });
  const getOrder = async (app: NestFastifyApplication, id: string): Promise<OrderBody> =>
    (await app.inject({ method: 'GET', url: `/orders/${id}`, headers: bearer(reader) })).json<OrderBody>();
  const ordersOf = (importId: string) =>
    ds.query<{ id: string }[]>(
      `SELECT o.id FROM orders o JOIN imports i ON i.created_by = o.created_by
        WHERE i.id = $1 AND o.created_at >= i.started_at AND o.created_at <= i.finished_at ORDER BY o.id`,
      [importId],
    );

  beforeAll(() => {
    ds = t.app.get(DataSource);
    importer = t.token('loader');
    reader = t.token('viewer');
    writer = t.token('clerk');
    revealer = t.token('dpo');
  });

  describe('the reference sample', () => {
    let report: ImportReportBody;

    it('imports 4 orders and rejects line 5 (product missing) and line 6 (price not a number)', async () => {
      const before = await orderCount(ds);
      const res = await postImport(t.app, importer, sampleCsv());
      expect(res.statusCode, res.body).toBe(201);
      report = res.json<ImportReportBody>();
      expect(report.id).toMatch(/^IMP-[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(res.headers.location).toBe(`/orders/imports/${report.id}`);
      expect(report).toMatchObject({ status: 'completed', rows: 6, accepted: 4, rejected: 2, orders: 4 });
      expect(report.rejects).toEqual([
        { line: 5, errors: [expect.objectContaining({ field: 'product', code: 'too_short' })] },
        { line: 6, errors: [expect.objectContaining({ field: 'price', code: 'invalid_amount' })] },
      ]);
      expect(report.rejectsOmitted).toBeUndefined();
      expect(await orderCount(ds)).toBe(before + 4);
    });

    it('stores the orders with exact totals, the default currency and the importer as creator', async () => {
      const rows = await ordersOf(report.id);
      expect(rows).toHaveLength(4);
      const orders = await Promise.all(rows.map((r) => getOrder(t.app, r.id)));
      expect(orders.map((o) => [o.items[0].product, o.total, o.currency])).toEqual([
        ['Halal Laptop', '1999.98', 'EUR'],
        ['Halal Mouse', '249.90', 'EUR'],
        ['Halal Keyboard', '249.95', 'EUR'],
        ['Headphones', '750.00', 'EUR'],
      ]);
      expect(orders.every((o) => o.createdBy.startsWith('operator:') && o.customer === null)).toBe(true);
      // The NUMERIC sum of the stored items agrees with the stored total.
      const check = await ds.query<{ ok: boolean }[]>(
        `SELECT bool_and(o.total = s.sum) AS ok FROM orders o
           JOIN (SELECT order_id, SUM(unit_price * quantity) AS sum FROM order_items GROUP BY order_id) s
             ON s.order_id = o.id`,
      );
      expect(check[0].ok).toBe(true);
    });

    it('GET /orders/imports/:id answers the stored report (not captured by /orders/:id)', async () => {
      const res = await getImport(report.id);
      expect(res.statusCode).toBe(200);
      const stored = res.json<StoredImportBody>();
      expect(stored).toMatchObject({
        id: report.id,
        status: 'completed',
        rows: 6,
        accepted: 4,
        rejected: 2,
        orders: 4,
        rejects: report.rejects,
        strict: false,
        allowDuplicate: false,
      });
      expect(stored.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(stored.createdBy).toMatch(/^operator:/);
    });

    it('records import.completed in the audit trail with counts only', async () => {
      const events = (await storedEvents(ds, 'import.completed')).filter((e) => e.target_id === report.id);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ actor_type: 'operator', target_type: 'import', outcome: 'success' });
      expect(events[0].details).toEqual({
        rows: 6,
        accepted: 4,
        rejected: 2,
        orders: 4,
        customersCreated: 0,
        strict: false,
      });
    });
  });

  it('counts the customers an import creates in its audit event, never naming them', async () => {
    const csv = uniqueCsv(
      [
        'Pen,1.00,1,Ada Count,ada.count@example.com',
        'Ink,2.00,1,Bob Count,bob.count@example.com',
        'Pad,3.00,1,Ada Count,ada.count@example.com',
      ],
      'product,price,quantity,customer_name,customer_email',
    );
    const res = await postImport(t.app, importer, csv);
    expect(res.statusCode, res.body).toBe(201);
    const { id } = res.json<{ id: string }>();
    const [event] = (await storedEvents(t.app.get(DataSource), 'import.completed')).filter(
      (e) => e.target_id === id,
    );
    expect(event.details).toMatchObject({ customersCreated: 2 });
    expect(JSON.stringify(event)).not.toMatch(/ada\.count|bob\.count|Ada Count/);
  });

  describe('GET /orders/imports/:id', () => {
    it('400 for a malformed id, 404 for an unknown one', async () => {
      const bad = await getImport('IMP-nope');
      expect(bad.statusCode).toBe(400);
      expect(problem(bad).type).toBe('urn:orderops:problem:invalid-import-id');
      const unknown = await getImport('IMP-01JD8Q5Z3M7R4T6V8X0B2C4D6F');
      expect(unknown.statusCode).toBe(404);
      expect(problem(unknown).type).toBe('urn:orderops:problem:import-not-found');
    });

    it('needs orders:import, for reading as for importing', async () => {
      expect((await getImport('IMP-01JD8Q5Z3M7R4T6V8X0B2C4D6F', reader)).statusCode).toBe(403);
      expect((await postImport(t.app, reader, uniqueCsv([]))).statusCode).toBe(403);
      expect((await postImport(t.app, writer, uniqueCsv([]))).statusCode).toBe(403);
      const anonymous = await t.app.inject({
        method: 'POST',
        url: '/orders/imports',
        headers: { 'content-type': 'text/csv' },
        payload: uniqueCsv([]),
      });
      expect(anonymous.statusCode).toBe(401);
    });
  });

  describe('rows are validated with the rules of POST /orders', () => {
    const cases: [string, string, string, string][] = [
      ['product missing', ',1.00,1', 'product', 'too_short'],
      ['product too long', `${'p'.repeat(201)},1.00,1`, 'product', 'too_long'],
      ['product with a control character', '"bad\u0007product",1.00,1', 'product', 'invalid_format'],
      ['price not a number', 'Widget,abc,1', 'price', 'invalid_amount'],
      ['price zero', 'Widget,0,1', 'price', 'invalid_amount'],
      ['price negative', 'Widget,-1.00,1', 'price', 'invalid_amount'],
      ['price with three decimals (EUR has two)', 'Widget,1.234,1', 'price', 'too_many_decimals'],
      ['price with four decimals', 'Widget,1.2345,1', 'price', 'invalid_amount'],
      ['price above 1,000,000', 'Widget,1000000.01,1', 'price', 'invalid_amount'],
      ['price missing', 'Widget,,1', 'price', 'invalid_amount'],
      ['quantity zero', 'Widget,1.00,0', 'quantity', 'out_of_range'],
      ['quantity above 10,000', 'Widget,1.00,10001', 'quantity', 'out_of_range'],
      ['quantity fractional', 'Widget,1.00,1.5', 'quantity', 'not_an_integer'],
      ['quantity not a number', 'Widget,1.00,two', 'quantity', 'not_an_integer'],
      ['quantity missing', 'Widget,1.00,', 'quantity', 'not_an_integer'],
    ];
    it.each(cases)('%s', async (_name, row, field, code) => {
      const res = await postImport(t.app, importer, uniqueCsv([row]));
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json<ImportReportBody>();
      expect(body).toMatchObject({ rows: 2, accepted: 1, rejected: 1, orders: 1 });
      expect(body.rejects[0].line).toBe(2);
      expect(body.rejects[0].errors).toContainEqual(expect.objectContaining({ field, code }));
    });

    const full: [string, string, string, string][] = [
      ['unknown currency', 'Widget,1.00,1,XXX,,,,', 'currency', 'invalid_enum'],
      ['lower-case currency', 'Widget,1.00,1,eur,,,,', 'currency', 'invalid_enum'],
      ['customer without a name', 'Widget,1.00,1,EUR,,ann@example.com,,', 'customer_name', 'too_short'],
      ['customer without an email', 'Widget,1.00,1,EUR,Ann,,,', 'customer_email', 'invalid_format'],
      ['customer email invalid', 'Widget,1.00,1,EUR,Ann,not-an-email,,', 'customer_email', 'invalid_format'],
      [
        'customer phone invalid',
        'Widget,1.00,1,EUR,Ann,ann@example.com,12345,',
        'customer_phone',
        'invalid_format',
      ],
      ['a row with too few cells', 'Widget,1.00,1', 'row', 'column_count'],
      ['a row with too many cells', 'Widget,1.00,1,EUR,,,,,extra', 'row', 'column_count'],
    ];
    it.each(full)('%s', async (_name, row, field, code) => {
      const res = await postImport(
        t.app,
        importer,
        uniqueCsv([row], FULL_HEADER).replace(/,1\n$/, ',1,,,,,\n'),
      );
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json<ImportReportBody>();
      expect(body).toMatchObject({ rows: 2, accepted: 1, rejected: 1 });
      expect(body.rejects[0]).toEqual({ line: 2, errors: [expect.objectContaining({ field, code })] });
    });

    it('reports every problem of a row, with messages that name the CSV column', async () => {
      const res = await postImport(t.app, importer, uniqueCsv([',abc,0']));
      const [reject] = res.json<ImportReportBody>().rejects;
      expect(reject.errors.map((e) => e.field).sort()).toEqual(['price', 'product', 'quantity']);
      expect(reject.errors.find((e) => e.field === 'price')?.message).toMatch(/^price must be/);
    });

    it('counts a multi-line quoted cell as one row, reported at the line it ends on', async () => {
      const res = await postImport(t.app, importer, uniqueCsv(['"two\nlines",1.00,1', ',1.00,1']));
      const body = res.json<ImportReportBody>();
      // The first product holds a line feed (a control character): rejected, like the second.
      expect(body.rejects.map((r) => r.line)).toEqual([3, 4]);
      expect(body.rows).toBe(3);
    });
  });

  describe('order_ref', () => {
    it('makes one order of consecutive rows sharing it, with customer and currency from the file', async () => {
      const csv = uniqueCsv(
        [
          'Desk,199.50,1,USD,Ann Lee,Ann.Lee@Example.com,+31 20 123 4567,PO-1',
          'Lamp,20.25,2,USD,Ann Lee,Ann.Lee@Example.com,+31 20 123 4567,PO-1',
          'Chair,80.00,1,,,,,PO-2',
        ],
        FULL_HEADER,
      ).replace(/,1\n$/, ',1,,,,,\n');
      const res = await postImport(t.app, importer, csv);
      const body = res.json<ImportReportBody>();
      expect(body, res.body).toMatchObject({ rows: 4, accepted: 4, rejected: 0, orders: 3 });
      const [first] = await ordersOf(body.id);
      const order = await getOrder(t.app, first.id);
      expect(order.items.map((i) => [i.product, i.unitPrice, i.quantity])).toEqual([
        ['Desk', '199.50', 1],
        ['Lamp', '20.25', 2],
      ]);
      expect(order.total).toBe('240.00');
      expect(order.currency).toBe('USD');
      // Masked in every response; the vault holds it encrypted.
      expect(order.customer?.email).toMatch(/^A\*\*\*@/);
      expect(order.customer?.email).not.toContain('Ann.Lee');
      expect(order.customer?.name).not.toContain('Ann Lee');
      const [stored] = await ds.query<{ name_enc: string; email_enc: string }[]>(
        'SELECT name_enc, email_enc FROM customers WHERE id = $1',
        [order.customer?.id],
      );
      expect(stored.name_enc).toMatch(/^pf1\./);
      expect(JSON.stringify(stored)).not.toContain('Ann');
    });

    it('rejects the whole order when one of its rows is invalid (never half an order)', async () => {
      const csv = uniqueCsv(['Desk,199.50,1,EUR,,,,PO-9', 'Lamp,abc,2,EUR,,,,PO-9'], FULL_HEADER).replace(
        /,1\n$/,
        ',1,,,,,\n',
      );
      const body = (await postImport(t.app, importer, csv)).json<ImportReportBody>();
      expect(body).toMatchObject({ rows: 3, accepted: 1, rejected: 2, orders: 1 });
      expect(body.rejects).toEqual([
        { line: 2, errors: [expect.objectContaining({ field: 'order_ref', code: 'order_rejected' })] },
        { line: 3, errors: [expect.objectContaining({ field: 'price', code: 'invalid_amount' })] },
      ]);
    });

    it('rejects rows whose order columns differ from the first row of their order_ref', async () => {
      const csv = uniqueCsv(['Desk,1.00,1,EUR,,,,PO-7', 'Lamp,1.00,1,USD,,,,PO-7'], FULL_HEADER).replace(
        /,1\n$/,
        ',1,,,,,\n',
      );
      const body = (await postImport(t.app, importer, csv)).json<ImportReportBody>();
      expect(body.rejects).toContainEqual({
        line: 3,
        errors: [expect.objectContaining({ field: 'currency', code: 'conflicting_value' })],
      });
      expect(body.orders).toBe(1);
    });

    it('rejects an order_ref that comes back after another one', async () => {
      const csv = uniqueCsv(
        ['A,1.00,1,EUR,,,,R1', 'B,1.00,1,EUR,,,,R2', 'C,1.00,1,EUR,,,,R1'],
        FULL_HEADER,
      ).replace(/,1\n$/, ',1,,,,,\n');
      const body = (await postImport(t.app, importer, csv)).json<ImportReportBody>();
      expect(body).toMatchObject({ accepted: 3, rejected: 1, orders: 3 });
      expect(body.rejects).toEqual([
        { line: 4, errors: [expect.objectContaining({ field: 'order_ref', code: 'not_adjacent' })] },
      ]);
    });

    it('allows 100 rows per order_ref and rejects an order of 101', async () => {
      const rows = (ref: string, n: number) =>
        Array.from({ length: n }, (_, i) => `Item ${i},1.00,1,EUR,,,,${ref}`);
      const csv = uniqueCsv([...rows('BIG-100', 100), ...rows('BIG-101', 101)], FULL_HEADER).replace(
        /,1\n$/,
        ',1,,,,,\n',
      );
      const body = (await postImport(t.app, importer, csv)).json<ImportReportBody>();
      expect(body).toMatchObject({ rows: 202, accepted: 101, rejected: 101, orders: 2 });
      expect(body.rejects[0]).toEqual({
        line: 102,
        errors: [expect.objectContaining({ field: 'order_ref', code: 'too_many_items' })],
      });
    });
  });

  describe('customers', () => {
    it('matches customers by email (any case) within the file and against the vault', async () => {
      const known = await postOrder(t.app, writer, {
        currency: 'EUR',
        items: [{ product: 'Seed', unitPrice: '1.00', quantity: 1 }],
        customer: { name: 'Known Person', email: 'known.person@example.com' },
      });
      expect(known.statusCode).toBe(201);
      const knownId = known.json<OrderBody>().customer?.id;
      const csv = uniqueCsv(
        [
          'A,1.00,1,EUR,New Person,new.person@example.com,,',
          'B,1.00,1,EUR,New Person,NEW.PERSON@example.com,,',
          'C,1.00,1,EUR,Known Person,Known.Person@Example.com,,',
        ],
        FULL_HEADER,
      ).replace(/,1\n$/, ',1,,,,,\n');
      const body = (await postImport(t.app, importer, csv)).json<ImportReportBody>();
      expect(body.orders).toBe(4);
      const orders = await Promise.all((await ordersOf(body.id)).map((o) => getOrder(t.app, o.id)));
      const ids = orders.map((o) => o.customer?.id ?? null);
      expect(ids[0]).not.toBeNull();
      expect(ids[1]).toBe(ids[0]);
      expect(ids[2]).toBe(knownId);
      expect(ids[3]).toBeNull();
    });
  });

  describe('strict mode', () => {
    it('rejects the whole file on one invalid row: 422 with the report, nothing imported, import failed', async () => {
      const before = await orderCount(ds);
      const res = await postImport(t.app, importer, uniqueCsv(['Good,1.00,1', 'Bad,abc,1']), '?strict=true');
      expect(res.statusCode).toBe(422);
      const body = problem(res);
      expect(body.type).toBe('urn:orderops:problem:import-rejected');
      expect(body.report).toMatchObject({ status: 'failed', rows: 3, accepted: 0, rejected: 1, orders: 0 });
      expect(body.report?.rejects).toEqual([
        { line: 3, errors: [expect.objectContaining({ field: 'price' })] },
      ]);
      expect(await orderCount(ds)).toBe(before);
      const stored = (await getImport(body.report!.id)).json<StoredImportBody>();
      expect(stored).toMatchObject({ status: 'failed', strict: true, orders: 0, rejected: 1 });
      expect(stored.error?.code).toBe('import-rejected');
      const failed = (await storedEvents(ds, 'import.failed')).filter((e) => e.target_id === body.report!.id);
      expect(failed).toHaveLength(1);
      expect(failed[0].details).toEqual({ reason: 'import-rejected', rows: 3, rejected: 1 });
    });

    it('imports a file without invalid rows', async () => {
      const res = await postImport(t.app, importer, uniqueCsv(['Good,1.00,1']), '?strict=true');
      expect(res.statusCode).toBe(201);
      expect(res.json<ImportReportBody>()).toMatchObject({ status: 'completed', orders: 2, rejected: 0 });
    });

    it('refuses a query parameter that is not true or false, and unknown ones', async () => {
      expect((await postImport(t.app, importer, uniqueCsv([]), '?strict=yes')).statusCode).toBe(400);
      expect((await postImport(t.app, importer, uniqueCsv([]), '?dryRun=true')).statusCode).toBe(400);
    });
  });

  describe('duplicate files', () => {
    it('answers 409 with the first import id for the same bytes, unless allowDuplicate=true', async () => {
      const csv = uniqueCsv(['Dup,1.00,1']);
      const first = await postImport(t.app, importer, csv);
      expect(first.statusCode).toBe(201);
      const firstId = first.json<ImportReportBody>().id;
      const before = await orderCount(ds);
      const again = await postImport(t.app, importer, csv);
      expect(again.statusCode).toBe(409);
      const body = problem(again);
      expect(body.type).toBe('urn:orderops:problem:import-duplicate');
      expect(body.importId).toBe(firstId);
      expect(await orderCount(ds)).toBe(before);
      expect((await lastImport(ds)).status).toBe('failed');
      const allowed = await postImport(t.app, importer, csv, '?allowDuplicate=true');
      expect(allowed.statusCode).toBe(201);
      expect(await orderCount(ds)).toBe(before + 2);
      // Still a duplicate of the first import afterwards.
      expect(problem(await postImport(t.app, importer, csv)).importId).toBe(firstId);
    });

    it('a different file (one byte changed) is not a duplicate', async () => {
      const csv = uniqueCsv(['Dup2,1.00,1']);
      expect((await postImport(t.app, importer, csv)).statusCode).toBe(201);
      expect((await postImport(t.app, importer, csv.replace('Dup2', 'Dup3'))).statusCode).toBe(201);
    });

    it('two concurrent uploads of one file: one import, one 409 naming it', async () => {
      const csv = uniqueCsv(Array.from({ length: 500 }, (_, i) => `Race ${i},1.00,1`));
      const before = await orderCount(ds);
      const results = await Promise.all([postImport(t.app, importer, csv), postImport(t.app, importer, csv)]);
      const statuses = results.map((r) => r.statusCode).sort();
      expect(statuses).toEqual([201, 409]);
      const created = results.find((r) => r.statusCode === 201)!.json<ImportReportBody>();
      expect(results.find((r) => r.statusCode === 409)!.json<{ importId: string }>().importId).toBe(
        created.id,
      );
      expect(await orderCount(ds)).toBe(before + 501);
    });
  });

  describe('files that are not order files', () => {
    const refused: [string, string | Buffer, RegExp][] = [
      ['a missing required column', 'product,price\nA,1.00\n', /quantity/],
      ['an unknown column', 'product,price,quantity,colour\nA,1.00,1,red\n', /column 4/],
      ['a repeated column', 'product,price,quantity,PRICE\nA,1.00,1,2.00\n', /price twice/],
      [
        'invalid UTF-8',
        Buffer.concat([
          Buffer.from('product,price,quantity\nA'),
          Buffer.from([0xff, 0xfe]),
          Buffer.from(',1.00,1\n'),
        ]),
        /UTF-8/,
      ],
      ['an unclosed quote', 'product,price,quantity\nA,1.00,1\n"B,1.00,1\nC,1.00,1\n', /not valid CSV/],
      [
        'a stray quote',
        'product,price,quantity\nA,1.00,1\n"B"x,1.00,1\nC,1.00,1\n',
        /not valid CSV \(line 3\)/,
      ],
      [
        'an oversized record',
        `product,price,quantity\nA,1.00,1\n${'x'.repeat(20_000)},1.00,1\n`,
        /not valid CSV/,
      ],
    ];
    it.each(refused)('422 for %s, nothing imported, import failed', async (_name, csv, detail) => {
      const before = await orderCount(ds);
      const res = await postImport(t.app, importer, csv, '?allowDuplicate=true');
      expect(res.statusCode, res.body).toBe(422);
      const body = problem(res);
      expect(body.type).toBe('urn:orderops:problem:import-invalid-file');
      expect(body.detail).toMatch(detail);
      expect(await orderCount(ds)).toBe(before);
      const last = await lastImport(ds);
      expect(last.status).toBe('failed');
      expect(last.report.error?.code).toBe('import-invalid-file');
    });

    // Nothing to import is the wrong file, not a completed import.
    const empty: [string, string, string, RegExp][] = [
      ['0 bytes', '', 'import-invalid-file', /empty/],
      ['only blank lines', '\n\r\n\n', 'import-invalid-file', /empty/],
      ['a BOM alone', '\ufeff', 'import-invalid-file', /empty/],
      ['a header alone', 'product,price,quantity\n', 'import-no-rows', /no data rows/],
      ['a header and blank lines', 'product,price,quantity\n\n\r\n', 'import-no-rows', /no data rows/],
    ];
    it.each(empty)('422 for %s, no import completed', async (_name, csv, code, detail) => {
      const importsBefore = await ds.query<{ id: string }[]>('SELECT id FROM imports');
      const res = await postImport(t.app, importer, csv, '?allowDuplicate=true');
      expect(res.statusCode, res.body).toBe(422);
      const body = problem(res);
      expect(body.type).toBe(`urn:orderops:problem:${code}`);
      expect(body.detail).toMatch(detail);
      const last = await lastImport(ds);
      expect(importsBefore.map((r) => r.id)).not.toContain(last.id);
      expect(last.status).toBe('failed');
      expect(last.report.error?.code).toBe(code);
    });

    it('accepts a BOM, CRLF line ends, blank lines and header names in any case', async () => {
      const csv = `\ufeffProduct, PRICE ,Quantity\r\nBom Item,2.50,2\r\n\r\nOther,1.00,1\r\n`;
      const res = await postImport(t.app, importer, csv, '?allowDuplicate=true');
      expect(res.json<ImportReportBody>(), res.body).toMatchObject({ rows: 2, accepted: 2, orders: 2 });
      const [first] = await ordersOf(res.json<ImportReportBody>().id);
      expect((await getOrder(t.app, first.id)).items[0].product).toBe('Bom Item');
    });

    it('415 for text/csv anywhere else, for another type here, and for a non-UTF-8 charset', async () => {
      const onOrders = await t.app.inject({
        method: 'POST',
        url: '/orders',
        headers: { ...bearer(writer), 'content-type': 'text/csv' },
        payload: 'a,b\n',
      });
      expect(onOrders.statusCode).toBe(415);
      const json = await t.app.inject({
        method: 'POST',
        url: '/orders/imports',
        headers: bearer(importer),
        payload: { product: 'x' },
      });
      expect(json.statusCode).toBe(415);
      const latin1 = await postImport(t.app, importer, uniqueCsv([]), '', {
        'content-type': 'text/csv; charset=iso-8859-1',
      });
      expect(latin1.statusCode).toBe(415);
      const utf8 = await postImport(t.app, importer, uniqueCsv([]), '', {
        'content-type': 'text/csv; charset=utf-8',
      });
      expect(utf8.statusCode).toBe(201);
    });

    it('415 for a compressed (or otherwise encoded) upload; identity is the file itself', async () => {
      const csv = uniqueCsv(['Zipped,1.00,1']);
      const importsBefore = await ds.query<{ id: string }[]>('SELECT id FROM imports');
      for (const [encoding, body] of [
        ['gzip', gzipSync(csv)],
        ['GZIP', gzipSync(csv)],
        ['br', brotliCompressSync(csv)],
        ['deflate', deflateSync(csv)],
        ['gzip, identity', gzipSync(csv)],
      ] as const) {
        const res = await postImport(t.app, importer, body, '', { 'content-encoding': encoding });
        expect(res.statusCode, `${encoding}: ${res.body}`).toBe(415);
        expect(problem(res).type).toBe('urn:orderops:problem:unsupported-content-encoding');
        expect(res.headers['accept-encoding']).toBe('identity');
      }
      expect(await ds.query<{ id: string }[]>('SELECT id FROM imports')).toEqual(importsBefore);
      const plain = await postImport(t.app, importer, csv, '', { 'content-encoding': 'identity' });
      expect(plain.statusCode, plain.body).toBe(201);
    });

    it('is not held to the 100 KiB JSON body limit', async () => {
      const rows = Array.from({ length: 4000 }, (_, i) => `Bulk item number ${i},12.34,3`);
      const csv = uniqueCsv(rows);
      expect(Buffer.byteLength(csv)).toBeGreaterThan(100 * 1024);
      const res = await postImport(t.app, importer, csv);
      expect(res.statusCode).toBe(201);
      expect(res.json<ImportReportBody>().orders).toBe(4001);
    });
  });

  describe('reports', () => {
    it('list at most 1,000 rejected rows and count the rest', async () => {
      const rows = Array.from({ length: 1500 }, () => 'Bad,abc,1');
      const body = (await postImport(t.app, importer, uniqueCsv(rows))).json<ImportReportBody>();
      expect(body).toMatchObject({ rows: 1501, rejected: 1500, orders: 1 });
      expect(body.rejects).toHaveLength(1000);
      expect(body.rejects[0].line).toBe(2);
      expect(body.rejects[999].line).toBe(1001);
      expect(body.rejectsOmitted).toBe(500);
    });
  });

  describe('CSV injection', () => {
    it('stores cells starting with = + - @ exactly as data', async () => {
      const cells = ['=HYPERLINK("http://x.example")', '+SUM(1;2)', '-2+3', '@cmd', '=1+1|calc'];
      const lines = cells.map(
        (c) =>
          `"${c.replace(/"/g, '""')}",1.00,1,EUR,"${c.replace(/"/g, '""')}",inj${cells.indexOf(c)}@example.com,,`,
      );
      const csv = uniqueCsv(lines, FULL_HEADER).replace(/,1\n$/, ',1,,,,,\n');
      const body = (await postImport(t.app, importer, csv)).json<ImportReportBody>();
      expect(body).toMatchObject({ rejected: 0, orders: cells.length + 1 });
      const orders = await Promise.all((await ordersOf(body.id)).map((o) => getOrder(t.app, o.id)));
      expect(orders.slice(0, cells.length).map((o) => o.items[0].product)).toEqual(cells);
      const revealed = await Promise.all(
        orders.slice(0, cells.length).map(async (o) =>
          (
            await t.app.inject({
              method: 'POST',
              url: `/customers/${o.customer?.id}/reveal`,
              headers: bearer(revealer),
              payload: { purpose: 'support' },
            })
          ).json<{ name: string }>(),
        ),
      );
      expect(revealed.map((c) => c.name)).toEqual(cells);
    });
  });

  describe('personal data', () => {
    it('never appears in the report, the stored import, the audit trail or the logs', async () => {
      const rows = [
        // Valid customer, invalid price; invalid phone; invalid email of the canary's name.
        `Widget,abc,1,EUR,${CANARY.name},${CANARY.email},${CANARY.phone},`,
        `Widget,1.00,1,EUR,${CANARY.name},${CANARY.email},+00 invalid ${CANARY.phone},`,
        `Widget,1.00,1,EUR,${CANARY.name},${CANARY.name}@,,`,
      ];
      const res = await postImport(
        t.app,
        importer,
        uniqueCsv(rows, FULL_HEADER).replace(/,1\n$/, ',1,,,,,\n'),
      );
      const body = res.json<ImportReportBody>();
      expect(body.rejected).toBe(3);
      const strict = await postImport(
        t.app,
        importer,
        uniqueCsv(rows, FULL_HEADER).replace(/,1\n$/, ',1,,,,,\n'),
        '?strict=true',
      );
      expect(strict.statusCode).toBe(422);
      // A file without a header row: its first row is read as the header and refused.
      const headerless = await postImport(t.app, importer, `${CANARY.name},${CANARY.email},1\n`);
      expect(headerless.statusCode).toBe(422);
      const stored = await ds.query<{ report: unknown }[]>('SELECT report FROM imports');
      const audit = await storedEvents(ds);
      const everything = [
        res.body,
        strict.body,
        headerless.body,
        JSON.stringify(stored),
        JSON.stringify(audit),
        t.logs.text,
      ];
      const needles = [CANARY.name, CANARY.email, CANARY.phone, 'Canaryfield', 'zebediah', '4242 1717'];
      for (const text of everything) {
        for (const needle of needles) expect(text.toLowerCase()).not.toContain(needle.toLowerCase());
      }
    });
  });

  describe('an interrupted upload', () => {
    it('leaves no orders behind and the import failed', async () => {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = t.app.getHttpServer().address() as AddressInfo;
      const before = await orderCount(ds);
      const previous = await lastImport(ds);
      const body = Buffer.from(uniqueCsv(Array.from({ length: 20_000 }, (_, i) => `Cut ${i},1.00,1`)));
      const socket = connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write(
        [
          'POST /orders/imports HTTP/1.1',
          'Host: 127.0.0.1',
          `Authorization: Bearer ${importer}`,
          'Content-Type: text/csv',
          `Content-Length: ${body.length}`,
          '',
          '',
        ].join('\r\n'),
      );
      await new Promise((resolve) => socket.write(body.subarray(0, body.length / 2), resolve));
      // Let the server receive part of the file before the client goes away.
      await new Promise((resolve) => setTimeout(resolve, 500));
      socket.destroy();
      // The import's row is written once the upload has ended (here: broken off). Only a row
      // newer than the last one before is this upload's: reading "the last import" while
      // this one is not yet recorded would judge the previous test's import instead.
      const ours = async () => {
        const [row] = await ds.query<{ id: string; status: string; report: ImportReportBody }[]>(
          'SELECT id, status, report FROM imports WHERE id > $1 ORDER BY id DESC LIMIT 1',
          [previous.id],
        );
        return row;
      };
      // Bounded by the idle timeout (30 s): after it even a lost upload is recorded.
      let last = await ours();
      for (let i = 0; i < 800 && (last === undefined || last.status === 'running'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        last = await ours();
      }
      expect(last?.status).toBe('failed');
      expect(last?.report.error?.code).toBe('import-interrupted');
      const [{ n: recorded }] = await ds.query<{ n: string }[]>(
        'SELECT count(*) AS n FROM imports WHERE id > $1',
        [previous.id],
      );
      expect(Number(recorded)).toBe(1);
      expect(await orderCount(ds)).toBe(before);
    });
  });

  describe('a database error in the middle of a file', () => {
    // A real error from the database, raised by a trigger on one product name: it arrives
    // while the next batch is being parsed, after earlier batches (and their customers)
    // were written in the import's transaction.
    beforeAll(async () => {
      await ds.query(`CREATE FUNCTION refuse_poison_item() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.product = 'Poison item' THEN RAISE EXCEPTION 'poison item refused'; END IF;
          RETURN NEW;
        END $$`);
      await ds.query(`CREATE TRIGGER refuse_poison_item BEFORE INSERT ON order_items
        FOR EACH ROW EXECUTE FUNCTION refuse_poison_item()`);
    });
    afterAll(async () => {
      await ds.query('DROP TRIGGER refuse_poison_item ON order_items');
      await ds.query('DROP FUNCTION refuse_poison_item()');
    });

    it('leaves no orders and no customers behind, and the import failed', async () => {
      const count = async (table: 'orders' | 'customers') =>
        Number((await ds.query<{ n: string }[]>(`SELECT count(*) AS n FROM ${table}`))[0].n);
      const [orders, customers] = [await count('orders'), await count('customers')];
      const tag = randomUUID().slice(0, 8);
      const rows = Array.from({ length: 9000 }, (_, i) =>
        [
          i === 7000 ? 'Poison item' : `Batch item ${i}`,
          '2.50',
          '1',
          'EUR',
          `Batch Person ${i}`,
          `batch.${tag}.${i}@example.com`,
          '',
          '',
        ].join(','),
      );
      const res = await t.app.inject({
        method: 'POST',
        url: '/orders/imports',
        headers: { ...bearer(importer), 'content-type': 'text/csv' },
        payload: [FULL_HEADER, ...rows].join('\n'),
      });
      expect(res.statusCode).toBe(500);
      expect(res.body).not.toContain('poison');
      const last = await lastImport(ds);
      expect(last.status).toBe('failed');
      expect(await count('orders')).toBe(orders);
      expect(await count('customers')).toBe(customers);
    });
  });

  describe('a streamed upload without Content-Length', () => {
    it('imports from a chunked body', async () => {
      const text = uniqueCsv(Array.from({ length: 3000 }, (_, i) => `Chunk ${i},1.00,1`));
      const chunks = text.match(/[\s\S]{1,4096}/g) ?? [];
      const res = await t.app.inject({
        method: 'POST',
        url: '/orders/imports',
        headers: { ...bearer(importer), 'content-type': 'text/csv' },
        payload: Readable.from(chunks),
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json<ImportReportBody>().orders).toBe(3001);
    });
  });
});

describe('order imports: size limit', () => {
  const t = useTestApp({
    env: { STRICT_RATE_LIMIT_PER_MINUTE: '10000', IMPORT_MAX_BYTES: '4096' },
    operators: { loader: ['orders:import'] },
  });
  let importer: string;
  beforeAll(() => {
    importer = t.token('loader');
  });

  const rows = (n: number) =>
    ['product,price,quantity', ...Array.from({ length: n }, (_, i) => `Item ${i},1.00,1`)].join('\n') + '\n';

  it('413 up front when Content-Length exceeds IMPORT_MAX_BYTES', async () => {
    const csv = rows(400);
    expect(Buffer.byteLength(csv)).toBeGreaterThan(4096);
    const res = await postImport(t.app, importer, csv);
    expect(res.statusCode).toBe(413);
    expect(problem(res).type).toBe('urn:orderops:problem:import-too-large');
  });

  it('413 while streaming a body without Content-Length; nothing imported, import failed', async () => {
    const text = rows(400);
    const res = await t.app.inject({
      method: 'POST',
      url: '/orders/imports',
      headers: { ...bearer(importer), 'content-type': 'text/csv' },
      payload: Readable.from(text.match(/[\s\S]{1,512}/g) ?? []),
    });
    expect(res.statusCode).toBe(413);
    const ds = t.app.get(DataSource);
    expect(await orderCount(ds)).toBe(0);
    const last = await lastImport(ds);
    expect(last.status).toBe('failed');
    expect(last.report.error?.code).toBe('import-too-large');
  });

  it('accepts a file of exactly the limit', async () => {
    let csv = rows(1);
    csv += `${'x'.repeat(4096 - Buffer.byteLength(csv) - 7)},1.00,1\n`.replace(/^/, '');
    csv = csv.slice(0, 4096 - 1) + '\n';
    expect(Buffer.byteLength(csv)).toBe(4096);
    const res = await postImport(t.app, importer, csv);
    expect(res.statusCode, res.body).toBe(201);
  });
});
