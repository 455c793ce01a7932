import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_PASSWORD, tokenFor } from './support/auth.js';
import { order, postOrder } from './support/orders.js';
import { useTestApp } from './support/use-test-app.js';

/**
 * Issue 11 §2, "at COMMIT": a transaction whose COMMIT fails for a reason of ours answers 503
 * with Retry-After, and a COMMIT that fails on the data stays a 500. A deferred constraint
 * trigger raises at COMMIT, after every statement of the request has succeeded.
 */
describe('a COMMIT that fails', () => {
  const t = useTestApp();
  let token: string;
  let ds: DataSource;

  /** Makes the next COMMITs of a transaction that inserted an order fail with `sqlstate`. */
  async function failCommitsWith(sqlstate: string | null): Promise<void> {
    await ds.query('DROP TRIGGER IF EXISTS orders_commit_probe ON orders');
    if (sqlstate === null) return;
    await ds.query(`CREATE OR REPLACE FUNCTION orders_commit_probe() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'commit probe' USING ERRCODE = '${sqlstate}'; END $$`);
    await ds.query(`CREATE CONSTRAINT TRIGGER orders_commit_probe AFTER INSERT ON orders
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION orders_commit_probe()`);
  }

  beforeAll(async () => {
    ds = t.app.get(DataSource);
    token = (await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD, 'orders:write')).access_token;
  });

  it('is a 503 with Retry-After when the server gives up (57P01), and nothing is stored', async () => {
    const [before] = await ds.query<{ n: string }[]>('SELECT count(*) AS n FROM orders');
    await failCommitsWith('57P01');
    try {
      const res = await postOrder(t.app, token, order());
      expect(res.statusCode, res.body).toBe(503);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.headers['www-authenticate']).toBeUndefined();
      expect(res.json()).toMatchObject({ type: 'urn:orderops:problem:service-unavailable', status: 503 });
      expect(res.body).not.toContain('commit probe');
    } finally {
      await failCommitsWith(null);
    }
    const [after] = await ds.query<{ n: string }[]>('SELECT count(*) AS n FROM orders');
    expect(after.n).toBe(before.n);
    expect((await postOrder(t.app, token, order())).statusCode).toBe(201);
  });

  it('stays a 500 when the data itself is refused (23514), hiding the cause', async () => {
    await failCommitsWith('23514');
    try {
      const res = await postOrder(t.app, token, order());
      expect(res.statusCode, res.body).toBe(500);
      expect(res.headers['retry-after']).toBeUndefined();
      expect(res.body).not.toContain('commit probe');
    } finally {
      await failCommitsWith(null);
    }
  });
});
