import { HOUSE_REACH, reachOf, type Principal } from '@orderops/access';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedEvents } from '../../../../test/support/audit.js';
import { startTestApp, type TestApp } from '../../../../test/support/test-app.js';
import { provisionTestDatabase, type TestDatabase } from '../../../../test/support/test-database.js';
import {
  IdempotencyKeyReusedError,
  InvalidIdempotencyKeyError,
  InvalidTransitionError,
  OrderNotFoundError,
  PreconditionFailedError,
  PreconditionRequiredError,
  UnknownCustomerError,
} from '../orders.errors.js';
import type { CreateOrderDto } from './dto/create-order.dto.js';
import { OrdersService } from './orders.service.js';

// The rules of OrdersService on the embedded database (or DATABASE_URL's), called directly:
// no HTTP, no tokens, so each rule is reached by the shortest path that can break it.

const operator: Principal = {
  type: 'operator',
  id: '0190a6b2-7f00-7000-8000-000000000001',
  clientId: 'orderops-web',
  scopes: ['orders:read', 'orders:write'],
  tokenId: 'jti-operator',
};
const partner = (id: string): Principal => ({
  type: 'client',
  id,
  clientId: id,
  scopes: ['orders:read', 'orders:write'],
  tokenId: `jti-${id}`,
});

const body = (overrides: Partial<CreateOrderDto> = {}): CreateOrderDto => ({
  currency: 'EUR',
  items: [
    { product: 'Pen', unitPrice: '0.10', quantity: 3 },
    { product: 'Ink', unitPrice: '19.99', quantity: 3 },
  ],
  ...overrides,
});

describe('OrdersService', () => {
  let db: TestDatabase;
  let t: TestApp;
  let orders: OrdersService;
  let ds: DataSource;

  const count = async (sql: string, params: unknown[] = []): Promise<number> =>
    Number((await ds.query<{ n: string }[]>(sql, params))[0].n);

  beforeAll(async () => {
    db = await provisionTestDatabase();
    t = await startTestApp(db.env);
    orders = t.app.get(OrdersService);
    ds = t.app.get(DataSource);
  });

  afterAll(async () => {
    await t?.close();
    await db?.dispose();
  });

  describe('totals', () => {
    it('stores the exact total, equal to the NUMERIC sum of the stored items and to the audit event', async () => {
      // 3 x 0.10 + 3 x 19.99: 60.27 exactly, where doubles give 60.269999999999996.
      const { order } = await orders.create(operator, HOUSE_REACH, body());
      expect(order.total).toBe('60.27');
      const [stored] = await ds.query<{ total: string; sum: string }[]>(
        `SELECT o.total::text AS total, (SELECT SUM(unit_price * quantity) FROM order_items WHERE order_id = o.id)::numeric(16,2)::text AS sum
           FROM orders o WHERE o.id = $1`,
        [order.id],
      );
      expect(stored).toEqual({ total: '60.27', sum: '60.27' });
      const [event] = (await storedEvents(ds, 'order.created')).filter((e) => e.target_id === order.id);
      expect(event.details).toEqual({ items: 2, currency: 'EUR', total: '60.27', customerId: null });
    });

    it('agrees with the database on many generated orders (differential)', async () => {
      for (let n = 0; n < 20; n++) {
        const items = Array.from({ length: 1 + (n % 7) }, (_, i) => {
          const cents = 1 + ((n * 7919 + i * 104_729) % 100_000_000);
          return {
            product: `P${i}`,
            unitPrice: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
            quantity: 1 + ((n * 31 + i * 17) % 10_000),
          };
        });
        await orders.create(operator, HOUSE_REACH, body({ items, note: `diff-${n}` }));
      }
      expect(
        await count(
          `SELECT count(*) AS n FROM orders o
            WHERE o.note LIKE 'diff-%'
              AND o.total <> (SELECT SUM(unit_price * quantity) FROM order_items WHERE order_id = o.id)`,
        ),
      ).toBe(0);
      expect(await count(`SELECT count(*) AS n FROM orders WHERE note LIKE 'diff-%'`)).toBe(20);
    });
  });

  describe('idempotency', () => {
    it('replays the first order for the same key and body, whatever the key order of the body', async () => {
      const first = await orders.create(operator, HOUSE_REACH, body({ note: 'idem-same' }), 'key-same');
      const reordered = {
        note: 'idem-same',
        items: body().items.map((i) => ({
          quantity: i.quantity,
          unitPrice: i.unitPrice,
          product: i.product,
        })),
        currency: 'EUR',
      } as CreateOrderDto;
      const again = await orders.create(operator, HOUSE_REACH, reordered, 'key-same');
      expect(first.replayed).toBe(false);
      expect(again).toEqual({ order: first.order, replayed: true });
      expect(await count(`SELECT count(*) AS n FROM orders WHERE note = 'idem-same'`)).toBe(1);
    });

    it('refuses the same key with a different body, and creates nothing', async () => {
      await orders.create(operator, HOUSE_REACH, body({ note: 'idem-a' }), 'key-differs');
      await expect(
        orders.create(operator, HOUSE_REACH, body({ note: 'idem-b' }), 'key-differs'),
      ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
      expect(await count(`SELECT count(*) AS n FROM orders WHERE note IN ('idem-a', 'idem-b')`)).toBe(1);
    });

    it('keeps keys per principal: another caller with the same key gets its own order', async () => {
      const a = await orders.create(partner('idem-p1'), reachOf(partner('idem-p1')), body(), 'key-shared');
      const b = await orders.create(partner('idem-p2'), reachOf(partner('idem-p2')), body(), 'key-shared');
      expect(b.replayed).toBe(false);
      expect(b.order.id).not.toBe(a.order.id);
    });

    it('forgets a key once it has expired: the same key then takes a new body', async () => {
      const first = await orders.create(operator, HOUSE_REACH, body({ note: 'idem-old' }), 'key-expired');
      await ds.query(
        `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE idempotency_key = $1`,
        ['key-expired'],
      );
      const next = await orders.create(operator, HOUSE_REACH, body({ note: 'idem-new' }), 'key-expired');
      expect(next.replayed).toBe(false);
      expect(next.order.id).not.toBe(first.order.id);
      // The reclaimed key now names the new order.
      const replay = await orders.create(operator, HOUSE_REACH, body({ note: 'idem-new' }), 'key-expired');
      expect(replay).toEqual({ order: next.order, replayed: true });
    });

    it('claims nothing when the request fails: the key is free for the next body', async () => {
      const unknown = body({ customerId: 'CUS-01JD8Q5Z3M7R4T6V8X0B2C4D6F', note: 'idem-failed' });
      await expect(orders.create(operator, HOUSE_REACH, unknown, 'key-failed')).rejects.toBeInstanceOf(
        UnknownCustomerError,
      );
      const next = await orders.create(operator, HOUSE_REACH, body({ note: 'idem-retry' }), 'key-failed');
      expect(next.replayed).toBe(false);
    });

    it('refuses a key outside visible ASCII or longer than 255', async () => {
      for (const key of ['has space', '', 'x'.repeat(256), 'naïve']) {
        await expect(orders.create(operator, HOUSE_REACH, body(), key)).rejects.toBeInstanceOf(
          InvalidIdempotencyKeyError,
        );
      }
    });
  });

  describe('status transitions and the optimistic version', () => {
    it('moves an order along with the current ETag, bumping the version and auditing from/to', async () => {
      const { order } = await orders.create(operator, HOUSE_REACH, body());
      const paid = await orders.updateStatus(operator, HOUSE_REACH, order.id, 'paid', ' "1" ');
      expect(paid).toMatchObject({ id: order.id, status: 'paid', version: 2 });
      const [event] = (await storedEvents(ds, 'order.status_changed')).filter(
        (e) => e.target_id === order.id,
      );
      expect(event.details).toEqual({ from: 'placed', to: 'paid' });
    });

    it('refuses a stale ETag (412) and a missing one (428), changing nothing', async () => {
      const { order } = await orders.create(operator, HOUSE_REACH, body());
      await orders.updateStatus(operator, HOUSE_REACH, order.id, 'paid', '"1"');
      await expect(
        orders.updateStatus(operator, HOUSE_REACH, order.id, 'shipped', '"1"'),
      ).rejects.toBeInstanceOf(PreconditionFailedError);
      await expect(
        orders.updateStatus(operator, HOUSE_REACH, order.id, 'shipped', undefined),
      ).rejects.toBeInstanceOf(PreconditionRequiredError);
      expect(await orders.get(order.id, HOUSE_REACH)).toMatchObject({ status: 'paid', version: 2 });
    });

    it('refuses a transition the status rule forbids, changing nothing and auditing nothing', async () => {
      const { order } = await orders.create(operator, HOUSE_REACH, body());
      await orders.updateStatus(operator, HOUSE_REACH, order.id, 'cancelled', '"1"');
      await expect(
        orders.updateStatus(operator, HOUSE_REACH, order.id, 'paid', '"2"'),
      ).rejects.toBeInstanceOf(InvalidTransitionError);
      expect(await orders.get(order.id, HOUSE_REACH)).toMatchObject({ status: 'cancelled', version: 2 });
      const events = (await storedEvents(ds, 'order.status_changed')).filter((e) => e.target_id === order.id);
      expect(events.map((e) => e.details)).toEqual([{ from: 'placed', to: 'cancelled' }]);
    });

    it("finds no order outside the caller's reach, to change or to read", async () => {
      const { order } = await orders.create(operator, HOUSE_REACH, body());
      const other = reachOf(partner('outsider'));
      await expect(
        orders.updateStatus(partner('outsider'), other, order.id, 'paid', '"1"'),
      ).rejects.toBeInstanceOf(OrderNotFoundError);
      await expect(orders.get(order.id, other)).rejects.toBeInstanceOf(OrderNotFoundError);
    });
  });

  describe('customers through pii', () => {
    it('answers the same customer when creating, reading, listing and changing an order', async () => {
      const customer = { name: 'Ada Service', email: 'ada.service@example.com' };
      const created = await orders.create(operator, HOUSE_REACH, body({ customer, note: 'with-customer' }));
      expect(created.order.customer).toMatchObject({ erased: false });
      expect(created.order.customer?.email).not.toBe(customer.email);
      const read = await orders.get(created.order.id, HOUSE_REACH);
      expect(read).toEqual(created.order);
      const listed = await orders.list(operator, { limit: 100 }, HOUSE_REACH);
      expect(listed.items.find((o) => o.id === created.order.id)).toEqual(created.order);
      const changed = await orders.updateStatus(operator, HOUSE_REACH, created.order.id, 'paid', '"1"');
      expect(changed.customer).toEqual(created.order.customer);
      const byId = await orders.create(
        operator,
        HOUSE_REACH,
        body({ customerId: created.order.customer!.id }),
      );
      expect(byId.order.customer).toEqual(created.order.customer);
    });
  });
});
