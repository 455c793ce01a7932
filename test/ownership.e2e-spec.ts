import type { LightMyRequestResponse } from 'fastify';
import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  bearer,
  createClient,
  postForm,
  TEST_OPERATOR_PASSWORD,
  tokenFor,
  type TokenBody,
} from './support/auth.js';
import { postImport, uniqueCsv, type ImportReportBody } from './support/imports.js';
import { order, postOrder } from './support/orders.js';
import { useTestApp } from './support/use-test-app.js';

/**
 * Object-level access (issue 11 §1, OWASP API1): two partner clients and one operator
 * against every route that touches orders, imports, customers or tokens. A partner reaches
 * only what it created; anything else answers exactly as a missing id would.
 */

const PARTNER_SCOPES = [
  'orders:read',
  'orders:write',
  'orders:import',
  'pii:reveal',
  'pii:export',
  'pii:erase',
] as const;

/** Ids that are well formed but were never issued. */
const MISSING = {
  order: 'ORD-01J00000000000000000000000',
  customer: 'CUS-01J00000000000000000000000',
  import: 'IMP-01J00000000000000000000000',
};

interface Partner {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly token: string;
}

interface OrderBody {
  id: string;
  version: number;
  status: string;
  customer: { id: string; name: string; email: string } | null;
}

/** A response stripped of what differs per request (its id), for comparing two answers. */
function answer(res: LightMyRequestResponse): { status: number; body: unknown } {
  const body = res.json<Record<string, unknown>>();
  const { requestId: _requestId, ...rest } = body;
  return { status: res.statusCode, body: rest };
}

describe('ownership: two partners and an operator', () => {
  const t = useTestApp({ operators: { 'house-ops': [...PARTNER_SCOPES] } });
  let a: Partner;
  let b: Partner;
  let operator: string;

  async function partner(adminToken: string, name: string): Promise<Partner> {
    const client = await createClient(t.app, adminToken, name, [...PARTNER_SCOPES]);
    const res = await postForm(
      t.app,
      '/oauth/token',
      { grant_type: 'client_credentials' },
      basic(client.clientId, client.clientSecret),
    );
    expect(res.statusCode).toBe(200);
    return { ...client, token: res.json<TokenBody>().access_token };
  }

  const get = (token: string, url: string) => t.app.inject({ method: 'GET', url, headers: bearer(token) });
  const post = (token: string, url: string, payload: object) =>
    t.app.inject({ method: 'POST', url, headers: bearer(token), payload });

  async function createOrder(token: string, body: Record<string, unknown>): Promise<OrderBody> {
    const res = await postOrder(t.app, token, order(body));
    expect(res.statusCode, res.body).toBe(201);
    return res.json<OrderBody>();
  }

  beforeAll(async () => {
    const admin = t.token('admin');
    operator = t.token('house-ops');
    a = await partner(admin, 'Partner A');
    b = await partner(admin, 'Partner B');
  });

  describe('orders', () => {
    let ofA: OrderBody;
    let ofB: OrderBody;
    let ofHouse: OrderBody;
    beforeAll(async () => {
      ofA = await createOrder(a.token, { note: 'a' });
      ofB = await createOrder(b.token, { note: 'b' });
      ofHouse = await createOrder(operator, { note: 'house' });
    });

    it('GET /orders lists only the partner’s own orders; the operator sees every owner’s', async () => {
      const ids = async (token: string) =>
        (await get(token, '/orders?limit=100')).json<{ items: { id: string }[] }>().items.map((o) => o.id);
      expect(await ids(a.token)).toEqual([ofA.id]);
      expect(await ids(b.token)).toEqual([ofB.id]);
      expect(await ids(operator)).toEqual(expect.arrayContaining([ofA.id, ofB.id, ofHouse.id]));
    });

    it('GET /orders/:id of another owner’s order answers exactly as a missing id', async () => {
      const foreign = await get(b.token, `/orders/${ofA.id}`);
      expect(foreign.statusCode).toBe(404);
      expect(answer(foreign)).toEqual(answer(await get(b.token, `/orders/${MISSING.order}`)));
      expect(foreign.body).not.toContain(ofA.id);
      expect((await get(b.token, `/orders/${ofHouse.id}`)).statusCode).toBe(404);
      expect((await get(a.token, `/orders/${ofA.id}`)).statusCode).toBe(200);
      expect((await get(operator, `/orders/${ofA.id}`)).statusCode).toBe(200);
    });

    it('PATCH /orders/:id cannot cancel another owner’s order, even with its ETag', async () => {
      const patch = (token: string, id: string, version: number) =>
        t.app.inject({
          method: 'PATCH',
          url: `/orders/${id}`,
          headers: { ...bearer(token), 'if-match': `"${version}"` },
          payload: { status: 'cancelled' },
        });
      const foreign = await patch(b.token, ofA.id, ofA.version);
      expect(foreign.statusCode).toBe(404);
      expect(answer(foreign)).toEqual(answer(await patch(b.token, MISSING.order, 1)));
      expect((await get(a.token, `/orders/${ofA.id}`)).json<OrderBody>().status).toBe('placed');
      const own = await patch(b.token, ofB.id, ofB.version);
      expect(own.statusCode, own.body).toBe(200);
    });
  });

  describe('customers', () => {
    const email = 'shared.person@partner-mail.example';
    let customerOfA: string;
    let customerOfB: string;
    beforeAll(async () => {
      customerOfA = (await createOrder(a.token, { customer: { name: 'Person Of A', email } })).customer!.id;
      customerOfB = (await createOrder(b.token, { customer: { name: 'Person Of B', email } })).customer!.id;
    });

    it('the same email posted by another partner makes that partner’s own customer; the first is untouched', async () => {
      expect(customerOfB).not.toBe(customerOfA);
      const reveal = (token: string, id: string) =>
        post(token, `/customers/${id}/reveal`, { purpose: 'support' });
      const revealedA = await reveal(a.token, customerOfA);
      expect(revealedA.statusCode, revealedA.body).toBe(200);
      expect(revealedA.json<{ name: string }>().name).toBe('Person Of A');
      expect((await reveal(b.token, customerOfB)).json<{ name: string }>().name).toBe('Person Of B');
      // A's next order with the email attaches to A's customer again, not B's.
      expect((await createOrder(a.token, { customer: { name: 'Ignored', email } })).customer!.id).toBe(
        customerOfA,
      );
    });

    it('search confirms only the partner’s own customers; the operator finds every owner’s', async () => {
      const found = async (token: string, query: object) =>
        (await post(token, '/customers/search', query)).json<{ id: string }[]>().map((c) => c.id);
      expect(await found(a.token, { email })).toEqual([customerOfA]);
      expect(await found(b.token, { email })).toEqual([customerOfB]);
      expect((await found(operator, { email })).sort()).toEqual([customerOfA, customerOfB].sort());
      const onlyA = (
        await createOrder(a.token, { customer: { name: 'Only A', email: 'only.a@partner-mail.example' } })
      ).customer!.id;
      expect(await found(a.token, { email: 'only.a@partner-mail.example' })).toEqual([onlyA]);
      expect(await found(b.token, { email: 'only.a@partner-mail.example' })).toEqual([]);
    });

    it('GET, reveal, export and erase of another owner’s customer answer exactly as a missing id', async () => {
      const calls: [string, (id: string) => Promise<LightMyRequestResponse>][] = [
        ['get', (id) => get(b.token, `/customers/${id}`)],
        ['reveal', (id) => post(b.token, `/customers/${id}/reveal`, { purpose: 'support' })],
        ['export', (id) => get(b.token, `/customers/${id}/export`)],
        [
          'erase',
          (id) => t.app.inject({ method: 'DELETE', url: `/customers/${id}/pii`, headers: bearer(b.token) }),
        ],
      ];
      for (const [name, call] of calls) {
        const foreign = await call(customerOfA);
        expect(foreign.statusCode, name).toBe(404);
        expect(answer(foreign), name).toEqual(answer(await call(MISSING.customer)));
      }
      // The erase attempt changed nothing: A still reads its customer's data.
      const revealed = await post(a.token, `/customers/${customerOfA}/reveal`, { purpose: 'support' });
      expect(revealed.json<{ email: string }>().email).toBe(email);
      expect((await get(operator, `/customers/${customerOfA}`)).statusCode).toBe(200);
    });

    it('customerId on POST /orders resolves only the partner’s own customers', async () => {
      const foreign = await postOrder(t.app, b.token, order({ customerId: customerOfA }));
      expect(foreign.statusCode).toBe(422);
      const missing = await postOrder(t.app, b.token, order({ customerId: MISSING.customer }));
      expect(answer(foreign)).toEqual(answer(missing));
      expect((await postOrder(t.app, b.token, order({ customerId: customerOfB }))).statusCode).toBe(201);
      // Operators reach every owner's customers.
      expect((await postOrder(t.app, operator, order({ customerId: customerOfA }))).statusCode).toBe(201);
    });

    it('a partner’s export lists only its own orders of the person', async () => {
      const houseOrder = await createOrder(operator, { customerId: customerOfA });
      const res = await get(a.token, `/customers/${customerOfA}/export`);
      expect(res.statusCode, res.body).toBe(200);
      const listed = res.json<{ related: { orders: { id: string }[] } }>().related.orders.map((o) => o.id);
      expect(listed.length).toBeGreaterThan(0);
      expect(listed).not.toContain(houseOrder.id);
      const byOperator = (await get(operator, `/customers/${customerOfA}/export`)).json<{
        related: { orders: { id: string }[] };
      }>();
      expect(byOperator.related.orders.map((o) => o.id)).toContain(houseOrder.id);
    });

    it('concurrent orders creating the same new customer make one customer and no error', async () => {
      const fresh = { name: 'Concurrent Person', email: 'concurrent.person@partner-mail.example' };
      const responses = await Promise.all(
        Array.from({ length: 8 }, () => postOrder(t.app, a.token, order({ customer: fresh }))),
      );
      expect(responses.map((r) => r.statusCode)).toEqual(Array(8).fill(201));
      const ids = new Set(responses.map((r) => r.json<OrderBody>().customer!.id));
      expect(ids.size).toBe(1);
      const [row] = await t.app
        .get(DataSource)
        .query<{ n: string }[]>(`SELECT count(*) AS n FROM customers WHERE id = ANY($1)`, [[...ids]]);
      expect(Number(row.n)).toBe(1);
    });
  });

  describe('imports', () => {
    it('duplicates are per owner, and another owner’s import answers exactly as a missing id', async () => {
      const file = uniqueCsv(['Widget,2.50,4']);
      const first = await postImport(t.app, a.token, file);
      expect(first.statusCode, first.body).toBe(201);
      const idOfA = first.json<ImportReportBody>().id;
      // The same file from B is B's own, normal import: never A's import id.
      const fromB = await postImport(t.app, b.token, file);
      expect(fromB.statusCode, fromB.body).toBe(201);
      expect(fromB.body).not.toContain(idOfA);
      // From A again, it is A's duplicate.
      const again = await postImport(t.app, a.token, file);
      expect(again.statusCode).toBe(409);
      expect(again.json<{ importId: string }>().importId).toBe(idOfA);

      const foreign = await get(b.token, `/orders/imports/${idOfA}`);
      expect(foreign.statusCode).toBe(404);
      expect(answer(foreign)).toEqual(answer(await get(b.token, `/orders/imports/${MISSING.import}`)));
      expect((await get(a.token, `/orders/imports/${idOfA}`)).statusCode).toBe(200);
      expect((await get(operator, `/orders/imports/${idOfA}`)).statusCode).toBe(200);
      // Its order ids likewise: B gets the missing-id answer, A and the house see them.
      const foreignOrders = await get(b.token, `/orders/imports/${idOfA}/orders`);
      expect(foreignOrders.statusCode).toBe(404);
      expect(answer(foreignOrders)).toEqual(
        answer(await get(b.token, `/orders/imports/${MISSING.import}/orders`)),
      );
      expect(
        (await get(a.token, `/orders/imports/${idOfA}/orders`)).json<{ items: string[] }>().items,
      ).toHaveLength(2);
      expect((await get(operator, `/orders/imports/${idOfA}/orders`)).statusCode).toBe(200);
    });

    it('an import’s orders and customers belong to its owner', async () => {
      const header = 'product,price,quantity,currency,customer_name,customer_email';
      const email = 'imported.person@partner-mail.example';
      const res = await postImport(
        t.app,
        b.token,
        uniqueCsv([`Gadget,3.00,1,EUR,Imported Person,${email}`], header),
      );
      expect(res.statusCode, res.body).toBe(201);
      const mine = (await get(b.token, '/orders?limit=100')).json<{
        items: { customer: { id: string } | null }[];
      }>();
      const customerIds = mine.items.flatMap((o) => (o.customer ? [o.customer.id] : []));
      const found = (await post(b.token, '/customers/search', { email })).json<{ id: string }[]>();
      expect(found).toHaveLength(1);
      expect(customerIds).toContain(found[0].id);
      expect((await post(a.token, '/customers/search', { email })).json<unknown[]>()).toEqual([]);
      expect((await get(a.token, '/orders?limit=100')).body).not.toContain(found[0].id);
    });
  });

  describe('tokens', () => {
    const introspect = (partner: Partner, token: string) =>
      postForm(t.app, '/oauth/introspect', { token }, basic(partner.clientId, partner.clientSecret));

    it('a client introspects only tokens issued to itself; any other answers exactly {"active":false}', async () => {
      const own = await introspect(a, a.token);
      expect(own.json<{ active: boolean; client_id: string }>()).toMatchObject({
        active: true,
        client_id: a.clientId,
      });
      const foreign = await introspect(a, b.token);
      expect(foreign.statusCode).toBe(200);
      expect(foreign.body).toBe('{"active":false}');
      const operatorGrant = await tokenFor(t.app, 'house-ops', TEST_OPERATOR_PASSWORD);
      expect((await introspect(a, operatorGrant.access_token)).body).toBe('{"active":false}');
      expect(operatorGrant.refresh_token).toBeDefined();
      expect((await introspect(a, operatorGrant.refresh_token!)).body).toBe('{"active":false}');
    });

    it('a client cannot revoke another client’s token', async () => {
      const res = await postForm(
        t.app,
        '/oauth/revoke',
        { token: b.token },
        basic(a.clientId, a.clientSecret),
      );
      expect(res.statusCode).toBe(200);
      expect((await get(b.token, '/orders')).statusCode).toBe(200);
    });
  });
});
