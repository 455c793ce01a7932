import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, TEST_ADMIN_PASSWORD, tokenFor } from '../support/auth.js';
import { CANARY, order, postOrder } from '../support/orders.js';
import { useTestApp } from '../support/use-test-app.js';

interface OrderBody {
  id: string;
  status: string;
  total: string;
  version: number;
  items: { product: string; unitPrice: string; quantity: number }[];
  customer: {
    id: string;
    name: string;
    email: string;
    phone: string | null;
    address: unknown;
    erased: boolean;
  } | null;
}

describe('orders', () => {
  const t = useTestApp({
    env: { STRICT_RATE_LIMIT_PER_MINUTE: '10000' },
    operators: { clerk: ['orders:read', 'orders:write'], viewer: ['orders:read'] },
  });
  let writer: string;
  let reader: string;
  beforeAll(() => {
    writer = t.token('clerk');
    reader = t.token('viewer');
  });

  describe('POST /orders', () => {
    it('creates an order with a server-computed NUMERIC total, Location and ETag', async () => {
      const res = await postOrder(t.app, writer, order());
      expect(res.statusCode).toBe(201);
      const body = res.json<OrderBody>();
      expect(body.id).toMatch(/^ORD-[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(body.total).toBe('2249.88');
      expect(body.status).toBe('placed');
      expect(res.headers.location).toBe(`/orders/${body.id}`);
      expect(res.headers.etag).toBe(`"${body.version}"`);
      expect(body.customer).toBeNull();
    });

    it('adds exactly, where floats would not (0.1 + 0.2 style sums)', async () => {
      const res = await postOrder(
        t.app,
        writer,
        order({
          items: [
            { product: 'A', unitPrice: '0.10', quantity: 1 },
            { product: 'B', unitPrice: '0.20', quantity: 1 },
            { product: 'C', unitPrice: '1000000', quantity: 10000 },
          ],
        }),
      );
      expect(res.json<OrderBody>().total).toBe('10000000000.30');
    });

    it('creates the customer in the vault and answers with it masked', async () => {
      const res = await postOrder(t.app, writer, order({ customer: CANARY }));
      expect(res.statusCode).toBe(201);
      const { customer } = res.json<OrderBody>();
      expect(customer).toMatchObject({
        name: 'Z*** C***',
        email: 'z***@canary-mail.example',
        phone: '***17',
        address: { city: 'Utrecht', country: 'NL' },
        erased: false,
      });
      expect(res.body).not.toContain(CANARY.email);
      expect(res.body).not.toContain('Canary Wharf');
    });

    it('matches a known customer by email instead of creating another', async () => {
      const first = (
        await postOrder(
          t.app,
          writer,
          order({ customer: { name: 'Ann One', email: 'Ann.Match@Example.com' } }),
        )
      ).json<OrderBody>();
      const second = (
        await postOrder(
          t.app,
          writer,
          order({ customer: { name: 'Ann Other', email: 'ann.MATCH@example.COM' } }),
        )
      ).json<OrderBody>();
      expect(second.customer?.id).toBe(first.customer?.id);
      const byId = await postOrder(t.app, writer, order({ customerId: first.customer!.id }));
      expect(byId.json<OrderBody>().customer?.id).toBe(first.customer?.id);
    });

    it('refuses an unknown customerId with 422 and both forms at once with 400', async () => {
      const unknown = await postOrder(t.app, writer, order({ customerId: 'CUS-01JD8Q5Z3M7R4T6V8X0B2C4D6F' }));
      expect(unknown.statusCode).toBe(422);
      const both = await postOrder(
        t.app,
        writer,
        order({ customerId: 'CUS-01JD8Q5Z3M7R4T6V8X0B2C4D6F', customer: CANARY }),
      );
      expect(both.statusCode).toBe(400);
    });

    it('requires orders:write', async () => {
      expect((await postOrder(t.app, reader, order())).statusCode).toBe(403);
    });
  });

  describe('validation bounds', () => {
    const item = (over: Record<string, unknown>) =>
      order({ items: [{ product: 'P', unitPrice: '1.00', quantity: 1, ...over }] });
    const cases: [string, Record<string, unknown>, boolean][] = [
      ['unitPrice 0.01', item({ unitPrice: '0.01' }), true],
      ['unitPrice 0.00', item({ unitPrice: '0.00' }), false],
      ['unitPrice 1000000.00', item({ unitPrice: '1000000.00' }), true],
      ['unitPrice 1000000.01', item({ unitPrice: '1000000.01' }), false],
      ['unitPrice 3 decimals', item({ unitPrice: '1.001' }), false],
      ['unitPrice as a number', item({ unitPrice: 1.5 }), false],
      ['unitPrice negative', item({ unitPrice: '-1.00' }), false],
      ['unitPrice exponent', item({ unitPrice: '1e3' }), false],
      ['quantity 1', item({ quantity: 1 }), true],
      ['quantity 0', item({ quantity: 0 }), false],
      ['quantity 10000', item({ quantity: 10000 }), true],
      ['quantity 10001', item({ quantity: 10001 }), false],
      ['quantity 1.5', item({ quantity: 1.5 }), false],
      ['quantity "2"', item({ quantity: '2' }), false],
      ['product 200 chars', item({ product: 'p'.repeat(200) }), true],
      ['product 201 chars', item({ product: 'p'.repeat(201) }), false],
      ['product empty', item({ product: '' }), false],
      ['product with a control character', item({ product: 'bad\u0007name' }), false],
      ['0 items', order({ items: [] }), false],
      [
        '100 items',
        order({
          items: Array.from({ length: 100 }, () => ({ product: 'P', unitPrice: '1.00', quantity: 1 })),
        }),
        true,
      ],
      [
        '101 items',
        order({
          items: Array.from({ length: 101 }, () => ({ product: 'P', unitPrice: '1.00', quantity: 1 })),
        }),
        false,
      ],
      ['note 500 chars', order({ note: 'n'.repeat(500) }), true],
      ['note 501 chars', order({ note: 'n'.repeat(501) }), false],
      ['currency not on the list', order({ currency: 'XXX' }), false],
      ['currency lower case', order({ currency: 'eur' }), false],
      ['unknown top-level field', order({ discount: '10' }), false],
      ['unknown item field', item({ sku: 'x' }), false],
      ['unknown customer field', order({ customer: { ...CANARY, vip: true } }), false],
      [
        'unknown address field',
        order({ customer: { ...CANARY, address: { ...CANARY.address, floor: 3 } } }),
        false,
      ],
      ['bad email', order({ customer: { ...CANARY, email: 'not-an-email' } }), false],
      ['phone without country code', order({ customer: { ...CANARY, phone: '06 4242 1717' } }), false],
      [
        'country not ISO alpha-2',
        order({ customer: { ...CANARY, address: { ...CANARY.address, country: 'NLD' } } }),
        false,
      ],
    ];

    it.each(cases)('%s', async (_, body, ok) => {
      const res = await postOrder(t.app, writer, body);
      expect(res.statusCode, res.body).toBe(ok ? 201 : 400);
      if (!ok) expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).not.toContain(CANARY.email);
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the first response for the same key and body', async () => {
      const first = await postOrder(t.app, writer, order({ note: 'idem-1' }), {
        'idempotency-key': 'key-one',
      });
      const again = await postOrder(t.app, writer, order({ note: 'idem-1' }), {
        'idempotency-key': 'key-one',
      });
      expect(first.statusCode).toBe(201);
      expect(again.statusCode).toBe(201);
      expect(again.json<OrderBody>().id).toBe(first.json<OrderBody>().id);
    });

    it('answers 422 for the same key with a different body', async () => {
      await postOrder(t.app, writer, order({ note: 'idem-2' }), { 'idempotency-key': 'key-two' });
      const other = await postOrder(t.app, writer, order({ note: 'different' }), {
        'idempotency-key': 'key-two',
      });
      expect(other.statusCode).toBe(422);
    });

    it('keys are per principal', async () => {
      const admin = (await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD)).access_token;
      const mine = await postOrder(t.app, writer, order({ note: 'idem-3' }), {
        'idempotency-key': 'shared-key',
      });
      const theirs = await postOrder(t.app, admin, order({ note: 'idem-3' }), {
        'idempotency-key': 'shared-key',
      });
      expect(theirs.json<OrderBody>().id).not.toBe(mine.json<OrderBody>().id);
    });

    it('concurrent requests with one key create one order', async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          postOrder(t.app, writer, order({ note: 'race' }), { 'idempotency-key': 'race-key' }),
        ),
      );
      expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(201));
      expect(new Set(results.map((r) => r.json<OrderBody>().id)).size).toBe(1);
    });

    it('refuses a malformed key', async () => {
      const res = await postOrder(t.app, writer, order(), { 'idempotency-key': 'has space' });
      expect(res.statusCode).toBe(400);
    });
  });

  describe('GET /orders and /orders/:id', () => {
    it('pages with an opaque cursor and filters by status', async () => {
      const seen = new Set<string>();
      let cursor: string | null = null;
      let pages = 0;
      do {
        const url: string = `/orders?limit=5${cursor ? `&cursor=${cursor}` : ''}`;
        const res = await t.app.inject({ method: 'GET', url, headers: bearer(reader) });
        expect(res.statusCode).toBe(200);
        const page = res.json<{ items: OrderBody[]; nextCursor: string | null }>();
        for (const o of page.items) {
          expect(seen.has(o.id)).toBe(false);
          seen.add(o.id);
        }
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 100);
      expect(seen.size).toBeGreaterThan(10);
      const cancelled = await t.app.inject({
        method: 'GET',
        url: '/orders?status=cancelled',
        headers: bearer(reader),
      });
      expect(cancelled.json<{ items: OrderBody[] }>().items.every((o) => o.status === 'cancelled')).toBe(
        true,
      );
    });

    it.each([
      'limit=0',
      'limit=101',
      'limit=abc',
      'cursor=not-a-cursor',
      'status=lost',
      'createdFrom=yesterday',
    ])('refuses %s with 400', async (query) => {
      const res = await t.app.inject({ method: 'GET', url: `/orders?${query}`, headers: bearer(reader) });
      expect(res.statusCode).toBe(400);
    });

    it('refuses a malformed id with 400 and an unknown one with 404', async () => {
      const bad = await t.app.inject({
        method: 'GET',
        url: "/orders/1'%20OR%201=1",
        headers: bearer(reader),
      });
      expect(bad.statusCode).toBe(400);
      const missing = await t.app.inject({
        method: 'GET',
        url: '/orders/ORD-01JD8Q5Z3M7R4T6V8X0B2C4D6F',
        headers: bearer(reader),
      });
      expect(missing.statusCode).toBe(404);
    });
  });

  describe('PATCH /orders/:id', () => {
    const patch = (id: string, status: string, etag?: string) =>
      t.app.inject({
        method: 'PATCH',
        url: `/orders/${id}`,
        headers: { ...bearer(writer), ...(etag ? { 'if-match': etag } : {}) },
        payload: { status },
      });

    it('follows placed -> paid -> shipped -> delivered with ETags', async () => {
      const created = await postOrder(t.app, writer, order());
      const { id } = created.json<OrderBody>();
      let etag = String(created.headers.etag);
      for (const status of ['paid', 'shipped', 'delivered']) {
        const res = await patch(id, status, etag);
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json<OrderBody>().status).toBe(status);
        expect(res.headers.etag).not.toBe(etag);
        etag = String(res.headers.etag);
      }
      expect((await patch(id, 'cancelled', etag)).statusCode).toBe(409);
    });

    it.each([
      ['placed', 'shipped'],
      ['placed', 'delivered'],
      ['placed', 'placed'],
    ])('refuses %s -> %s with 409', async (_, to) => {
      const created = await postOrder(t.app, writer, order());
      const res = await patch(created.json<OrderBody>().id, to, String(created.headers.etag));
      expect(res.statusCode).toBe(409);
    });

    it('allows cancelling a paid order', async () => {
      const created = await postOrder(t.app, writer, order());
      const paid = await patch(created.json<OrderBody>().id, 'paid', String(created.headers.etag));
      const cancelled = await patch(created.json<OrderBody>().id, 'cancelled', String(paid.headers.etag));
      expect(cancelled.statusCode).toBe(200);
    });

    it('answers 412 for a stale ETag and 428 without one', async () => {
      const created = await postOrder(t.app, writer, order());
      const { id } = created.json<OrderBody>();
      const etag = String(created.headers.etag);
      expect((await patch(id, 'paid', etag)).statusCode).toBe(200);
      expect((await patch(id, 'shipped', etag)).statusCode).toBe(412);
      expect((await patch(id, 'shipped')).statusCode).toBe(428);
    });
  });
});
