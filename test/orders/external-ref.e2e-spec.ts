import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, clientTokenFor } from '../support/auth.js';
import { postImport, uniqueCsv, type ImportReportBody } from '../support/imports.js';
import { order, postOrder } from '../support/orders.js';
import { useTestApp } from '../support/use-test-app.js';

/**
 * A partner's own order number on its orders (issue 14 §4): given on POST /orders or by an
 * import's order_ref, unique per owner, returned, and searchable with GET /orders?externalRef=.
 */

interface OrderBody {
  id: string;
  externalRef: string | null;
}

interface ProblemBody {
  type: string;
  status: number;
  detail: string;
  orderId?: string;
  errors?: { field: string; code: string; message: string }[];
}

const PARTNER_SCOPES = ['orders:read', 'orders:write', 'orders:import'] as const;
const HEADER = 'product,price,quantity,currency,customer_name,customer_email,customer_phone,order_ref';

/** A file of one-row orders, one per ref, plus uniqueCsv's trailing row (no ref). */
const importFile = (refs: readonly string[]): string =>
  uniqueCsv(
    refs.map((ref, i) => `Item ${i},1.00,1,EUR,,,,${ref}`),
    HEADER,
  ).replace(/,1\n$/, ',1,,,,,\n');

describe('externalRef: the partner’s own order number', () => {
  const t = useTestApp({
    env: { STRICT_RATE_LIMIT_PER_MINUTE: '10000' },
    operators: { clerk: [...PARTNER_SCOPES] },
    clients: { 'Partner A': [...PARTNER_SCOPES], 'Partner B': [...PARTNER_SCOPES] },
  });
  let a: string;
  let b: string;
  let house: string;

  const clientToken = (name: 'Partner A' | 'Partner B'): Promise<string> =>
    clientTokenFor(t.app, t.client(name));

  const list = async (token: string, query: string) => {
    const res = await t.app.inject({ method: 'GET', url: `/orders?${query}`, headers: bearer(token) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ items: OrderBody[] }>().items;
  };

  beforeAll(async () => {
    a = await clientToken('Partner A');
    b = await clientToken('Partner B');
    house = t.token('clerk');
  });

  describe('POST /orders', () => {
    it('stores it and returns it on create, read and list', async () => {
      const created = await postOrder(t.app, a, order({ externalRef: 'PO 2024/00017-a' }));
      expect(created.statusCode, created.body).toBe(201);
      const body = created.json<OrderBody>();
      expect(body.externalRef).toBe('PO 2024/00017-a');
      const read = await t.app.inject({ method: 'GET', url: `/orders/${body.id}`, headers: bearer(a) });
      expect(read.json<OrderBody>().externalRef).toBe('PO 2024/00017-a');
      const found = await list(a, `externalRef=${encodeURIComponent('PO 2024/00017-a')}`);
      expect(found.map((o) => o.id)).toEqual([body.id]);
    });

    it('is optional: an order without one has externalRef null, and any number of them is fine', async () => {
      for (let i = 0; i < 2; i++) {
        const res = await postOrder(t.app, a, order());
        expect(res.statusCode).toBe(201);
        expect(res.json<OrderBody>().externalRef).toBeNull();
      }
    });

    it('refuses a second order of the same owner with the same externalRef: 409 naming the first', async () => {
      const first = (await postOrder(t.app, a, order({ externalRef: 'DUP-1' }))).json<OrderBody>();
      const second = await postOrder(t.app, a, order({ externalRef: 'DUP-1', note: 'retry' }));
      expect(second.statusCode).toBe(409);
      expect(second.headers['content-type']).toContain('application/problem+json');
      const problem = second.json<ProblemBody>();
      expect(problem.type).toMatch(/external-ref-taken$/);
      expect(problem.detail).toBe(
        `Your order ${first.id} already has this externalRef; each of your orders needs its own.`,
      );
      expect(problem.orderId).toBe(first.id);
      expect(problem.errors).toEqual([
        expect.objectContaining({ field: 'externalRef', code: 'already_used' }),
      ]);
      // Nothing was written for the refused one.
      expect((await list(a, 'externalRef=DUP-1')).map((o) => o.id)).toEqual([first.id]);
    });

    it('lets another owner use the same externalRef; each sees only its own', async () => {
      const ofA = (await postOrder(t.app, a, order({ externalRef: 'SHARED-7' }))).json<OrderBody>();
      const res = await postOrder(t.app, b, order({ externalRef: 'SHARED-7' }));
      expect(res.statusCode, res.body).toBe(201);
      const ofB = res.json<OrderBody>();
      const ofHouse = await postOrder(t.app, house, order({ externalRef: 'SHARED-7' }));
      expect(ofHouse.statusCode, ofHouse.body).toBe(201);
      expect((await list(a, 'externalRef=SHARED-7')).map((o) => o.id)).toEqual([ofA.id]);
      expect((await list(b, 'externalRef=SHARED-7')).map((o) => o.id)).toEqual([ofB.id]);
    });

    it.each<[string, unknown, boolean]>([
      ['1 character', 'X', true],
      ['64 characters', 'R'.repeat(64), true],
      ['punctuation and inner spaces', 'PO #17 (EU) / 2024.a_b', true],
      ['65 characters', 'R'.repeat(65), false],
      ['empty', '', false],
      ['a leading space', ' PO-1', false],
      ['a trailing space', 'PO-1 ', false],
      ['a tab', 'PO\t1', false],
      ['a line break', 'PO\n1', false],
      ['a non-ASCII letter', 'PO-é1', false],
      ['a number', 17, false],
    ])('externalRef with %s: %s', async (_, externalRef, ok) => {
      const res = await postOrder(t.app, house, order({ externalRef }));
      expect(res.statusCode, res.body).toBe(ok ? 201 : 400);
      if (!ok) {
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(new Set(res.json<ProblemBody>().errors?.map((e) => e.field))).toEqual(
          new Set(['externalRef']),
        );
      }
    });
  });

  describe('GET /orders?externalRef=', () => {
    it('finds nothing for a ref no order of the caller has', async () => {
      await postOrder(t.app, b, order({ externalRef: 'ONLY-B' }));
      expect(await list(a, 'externalRef=ONLY-B')).toEqual([]);
    });

    it.each(['externalRef=', `externalRef=${'R'.repeat(65)}`, 'externalRef=%20PO', 'externalRef=a%0Ab'])(
      'refuses %s with a 400 problem',
      async (query) => {
        const res = await t.app.inject({ method: 'GET', url: `/orders?${query}`, headers: bearer(a) });
        expect(res.statusCode, res.body).toBe(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
      },
    );
  });

  describe('imports: order_ref fills externalRef', () => {
    it('gives each imported order its order_ref as externalRef', async () => {
      const res = await postImport(t.app, a, importFile(['IMP-REF-1', 'IMP-REF-2']));
      expect(res.json<ImportReportBody>(), res.body).toMatchObject({ status: 'completed', orders: 3 });
      const [found] = await list(a, 'externalRef=IMP-REF-2');
      expect(found.externalRef).toBe('IMP-REF-2');
    });

    it('rejects the rows of an order_ref that is already an externalRef of the owner, and imports the rest', async () => {
      await postOrder(t.app, a, order({ externalRef: 'TAKEN-1' }));
      const res = await postImport(t.app, a, importFile(['FRESH-1', 'TAKEN-1', 'FRESH-2']));
      expect(res.statusCode, res.body).toBe(201);
      const report = res.json<ImportReportBody>();
      expect(report).toMatchObject({ status: 'completed', rows: 4, accepted: 3, rejected: 1, orders: 3 });
      expect(report.rejects).toEqual([
        {
          line: 3,
          errors: [
            {
              field: 'order_ref',
              code: 'already_used',
              message: 'an earlier order of yours already has this order_ref as its externalRef',
            },
          ],
        },
      ]);
      expect(await list(a, 'externalRef=TAKEN-1')).toHaveLength(1);
      expect(await list(a, 'externalRef=FRESH-2')).toHaveLength(1);
    });

    it('rejects a re-imported file’s order_refs row by row (allowDuplicate does not duplicate orders)', async () => {
      const csv = importFile(['AGAIN-1', 'AGAIN-2']);
      expect((await postImport(t.app, a, csv)).json<ImportReportBody>().orders).toBe(3);
      const again = (await postImport(t.app, a, csv, '?allowDuplicate=true')).json<ImportReportBody>();
      expect(again).toMatchObject({ status: 'completed', accepted: 1, rejected: 2, orders: 1 });
      expect(again.rejects.map((r) => r.errors[0].code)).toEqual(['already_used', 'already_used']);
    });

    it('in strict mode, a taken order_ref rejects the whole file', async () => {
      await postOrder(t.app, a, order({ externalRef: 'TAKEN-STRICT' }));
      const res = await postImport(t.app, a, importFile(['OK-STRICT', 'TAKEN-STRICT']), '?strict=true');
      expect(res.statusCode).toBe(422);
      expect(await list(a, 'externalRef=OK-STRICT')).toEqual([]);
    });

    it('lets another owner import an order_ref this owner already has', async () => {
      await postOrder(t.app, a, order({ externalRef: 'CROSS-1' }));
      const report = (await postImport(t.app, b, importFile(['CROSS-1']))).json<ImportReportBody>();
      expect(report).toMatchObject({ status: 'completed', rejected: 0, orders: 2 });
    });

    it('rejects an order_ref that breaks the externalRef rule, naming the column', async () => {
      const report = (
        await postImport(t.app, a, importFile(['R'.repeat(65), 'PO-\u00e9']))
      ).json<ImportReportBody>();
      expect(report).toMatchObject({ status: 'completed', rejected: 2, orders: 1 });
      for (const reject of report.rejects) {
        expect(reject.errors).toEqual([expect.objectContaining({ field: 'order_ref' })]);
        expect(reject.errors[0].message).toMatch(/^order_ref must be/);
      }
    });
  });

  describe('when a concurrent writer takes the ref after the check (the unique index decides)', () => {
    // The race, made deterministic: a trigger answers the insert of this ref exactly as the
    // unique index does when another transaction committed it first.
    beforeAll(async () => {
      const ds = t.app.get(DataSource);
      await ds.query(`CREATE FUNCTION test_ref_race() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.external_ref = 'RACE-1' THEN
            RAISE EXCEPTION 'duplicate key' USING ERRCODE = 'unique_violation',
              CONSTRAINT = 'UQ_orders_owner_external_ref';
          END IF;
          RETURN NEW;
        END $$`);
      await ds.query(`CREATE TRIGGER test_ref_race BEFORE INSERT ON orders
        FOR EACH ROW EXECUTE FUNCTION test_ref_race()`);
    });

    it('POST /orders answers 409 external-ref-taken, not a 500', async () => {
      const res = await postOrder(t.app, a, order({ externalRef: 'RACE-1' }));
      expect(res.statusCode, res.body).toBe(409);
      expect(res.json<ProblemBody>().type).toMatch(/external-ref-taken$/);
    });

    it('an import answers 409 import-external-ref-race and imports nothing', async () => {
      const res = await postImport(t.app, a, importFile(['RACE-OK', 'RACE-1']));
      expect(res.statusCode, res.body).toBe(409);
      expect(res.json<ProblemBody>()).toMatchObject({
        type: 'urn:orderops:problem:import-external-ref-race',
        detail:
          'While this import ran, another request used one of its order_refs as an externalRef; nothing was imported. Send the file again: that row will be rejected.',
      });
      expect(await list(a, 'externalRef=RACE-OK')).toEqual([]);
    });
  });
});
