import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createOperator, TEST_ADMIN_PASSWORD, TEST_OPERATOR_PASSWORD, tokenFor } from '../support/auth.js';
import { postImport, sampleCsv, type ImportReportBody } from '../support/imports.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { provisionTestDatabase, type TestDatabase } from '../support/test-database.js';

describe('order imports', () => {
  let db: TestDatabase;
  let t: TestApp;
  let importer: string;

  beforeAll(async () => {
    db = await provisionTestDatabase();
    t = await startTestApp({
      ...db.env,
      ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      STRICT_RATE_LIMIT_PER_MINUTE: '10000',
    });
    const admin = (await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD)).access_token;
    await createOperator(t.app, admin, 'loader', ['orders:import', 'orders:read']);
    importer = (await tokenFor(t.app, 'loader', TEST_OPERATOR_PASSWORD)).access_token;
  });

  afterAll(async () => {
    await t?.close();
    await db?.dispose();
  });

  it('imports the reference sample: 4 orders, lines 5 and 6 rejected', async () => {
    const res = await postImport(t.app, importer, sampleCsv());
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json<ImportReportBody>();
    expect(body).toMatchObject({ status: 'completed', rows: 6, accepted: 4, rejected: 2, orders: 4 });
    expect(body.rejects.map((r) => r.line)).toEqual([5, 6]);
    process.stdout.write(JSON.stringify(body, null, 1));
    const get = await t.app.inject({ method: 'GET', url: `/orders/imports/${body.id}`, headers: bearer(importer) });
    process.stdout.write(get.body);
    const ds = t.app.get(DataSource);
    process.stdout.write(JSON.stringify(await ds.query('SELECT * FROM orders')));
  });
});
