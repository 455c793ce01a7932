import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, clientTokenFor } from '../support/auth.js';
import { postImport, uniqueCsv, type ImportReportBody } from '../support/imports.js';
import { order, postOrder } from '../support/orders.js';
import { useTestApp } from '../support/use-test-app.js';

/**
 * GET /orders filters a partner reconciles by (issue 14 §4): customerId, importId and, for
 * operators, createdBy; each validated, each within the caller's reach.
 */

interface OrderBody {
  id: string;
  importId: string | null;
  createdBy: string;
  customer: { id: string } | null;
}

const SCOPES = ['orders:read', 'orders:write', 'orders:import'] as const;
const MISSING_CUSTOMER = 'CUS-01J00000000000000000000000';
const MISSING_IMPORT = 'IMP-01J00000000000000000000000';

describe('GET /orders filters: customerId, importId, createdBy', () => {
  const t = useTestApp({
    env: { STRICT_RATE_LIMIT_PER_MINUTE: '10000' },
    operators: { clerk: [...SCOPES], other: [...SCOPES] },
    clients: { 'Partner A': [...SCOPES], 'Partner B': [...SCOPES] },
  });
  let a: string;
  let b: string;
  let clerk: string;

  const clientToken = (name: 'Partner A' | 'Partner B'): Promise<string> =>
    clientTokenFor(t.app, t.client(name));

  const ids = async (token: string, query: string): Promise<string[]> => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/orders?limit=100&${query}`,
      headers: bearer(token),
    });
    expect(res.statusCode, res.body).toBe(200);
    return res
      .json<{ items: OrderBody[] }>()
      .items.map((o) => o.id)
      .sort();
  };

  const create = async (token: string, body: Record<string, unknown> = {}): Promise<OrderBody> => {
    const res = await postOrder(t.app, token, order(body));
    expect(res.statusCode, res.body).toBe(201);
    return res.json<OrderBody>();
  };

  beforeAll(async () => {
    a = await clientToken('Partner A');
    b = await clientToken('Partner B');
    clerk = t.token('clerk');
  });

  it('customerId: the orders of that customer, within the caller’s reach', async () => {
    const person = { name: 'Filter Person', email: 'filter.person@example.com' };
    const first = await create(a, { customer: person });
    const second = await create(a, { customerId: first.customer!.id });
    await create(a, { customer: { name: 'Someone Else', email: 'someone.else@example.com' } });
    await create(a);
    expect(await ids(a, `customerId=${first.customer!.id}`)).toEqual([first.id, second.id].sort());
    // Another partner does not reach A's customer: nothing, exactly as for a missing one.
    expect(await ids(b, `customerId=${first.customer!.id}`)).toEqual([]);
    expect(await ids(a, `customerId=${MISSING_CUSTOMER}`)).toEqual([]);
    expect(await ids(clerk, `customerId=${first.customer!.id}`)).toEqual([first.id, second.id].sort());
  });

  it('importId: the orders an import created, each carrying the import’s id; POST /orders leaves it null', async () => {
    const csv = uniqueCsv(['Desk,10.00,1', 'Lamp,2.50,2']);
    const res = await postImport(t.app, a, csv);
    const report = res.json<ImportReportBody>();
    expect(report, res.body).toMatchObject({ status: 'completed', orders: 3 });
    const imported = await ids(a, `importId=${report.id}`);
    expect(imported).toHaveLength(3);
    for (const id of imported) {
      const one = await t.app.inject({ method: 'GET', url: `/orders/${id}`, headers: bearer(a) });
      expect(one.json<OrderBody>().importId).toBe(report.id);
    }
    expect((await create(a)).importId).toBeNull();
    expect(await ids(b, `importId=${report.id}`)).toEqual([]);
    expect(await ids(a, `importId=${MISSING_IMPORT}`)).toEqual([]);
  });

  it('createdBy: an operator finds the orders one principal created', async () => {
    const ofClerk = await create(clerk);
    const ofOther = await create(t.token('other'));
    const ofA = await create(a);
    expect(await ids(clerk, `createdBy=${encodeURIComponent(ofClerk.createdBy)}`)).toContain(ofClerk.id);
    const byOther = await ids(clerk, `createdBy=${encodeURIComponent(ofOther.createdBy)}`);
    expect(byOther).toEqual([ofOther.id]);
    const byA = await ids(clerk, `createdBy=${encodeURIComponent(ofA.createdBy)}`);
    expect(byA).toContain(ofA.id);
    expect(byA).not.toContain(ofClerk.id);
  });

  it('createdBy: a client is refused with a 400 problem (its orders are all its own)', async () => {
    const mine = await create(a);
    const res = await t.app.inject({
      method: 'GET',
      url: `/orders?createdBy=${encodeURIComponent(mine.createdBy)}`,
      headers: bearer(a),
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json<{ detail: string; errors: { field: string; code: string }[] }>()).toMatchObject({
      detail: 'Only operators may filter orders by createdBy.',
      errors: [{ field: 'createdBy', code: 'not_allowed' }],
    });
  });

  it('combines filters (AND)', async () => {
    const person = { name: 'Combo Person', email: 'combo.person@example.com' };
    const withCustomer = await create(clerk, { customer: person });
    const query = `customerId=${withCustomer.customer!.id}&createdBy=${encodeURIComponent(withCustomer.createdBy)}`;
    expect(await ids(clerk, query)).toEqual([withCustomer.id]);
    expect(await ids(clerk, `${query}&status=paid`)).toEqual([]);
  });

  it.each([
    'customerId=',
    'customerId=CUS-1',
    'customerId=cus-01J00000000000000000000000',
    `customerId=${MISSING_CUSTOMER}x`,
    "customerId=1'%20OR%201=1",
    'importId=',
    'importId=IMP-1',
    `importId=${MISSING_CUSTOMER}`,
    'createdBy=',
    'createdBy=root',
    'createdBy=operator:',
    'createdBy=operator:a%20b',
    `createdBy=operator:${'x'.repeat(80)}`,
  ])('refuses %s with a 400 problem naming the field', async (query) => {
    const res = await t.app.inject({ method: 'GET', url: `/orders?${query}`, headers: bearer(clerk) });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const field = query.split('=')[0];
    expect(res.json<{ errors: { field: string }[] }>().errors.map((e) => e.field)).toContain(field);
  });
});
