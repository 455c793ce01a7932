import { CustomersService } from '@orderops/pii';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, TEST_ADMIN_PASSWORD, tokenFor } from '../support/auth.js';
import { CANARY, order, postOrder } from '../support/orders.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { provisionTestDatabase } from '../support/test-database.js';
import { useTestApp } from '../support/use-test-app.js';

interface Customer {
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  address: Record<string, string> | null;
  erased: boolean;
}

const PLAINTEXT_PIECES = [
  CANARY.name,
  'Canaryfield',
  CANARY.email,
  'zebediah',
  '4242',
  '31642421717',
  'Canary Wharf',
  '3511',
];

describe('customers and the personal-data vault', () => {
  const t = useTestApp({
    env: { STRICT_RATE_LIMIT_PER_MINUTE: '10000' },
    operators: {
      clerk: ['orders:read', 'orders:write'],
      dpo: ['orders:read', 'pii:reveal', 'pii:export', 'pii:erase'],
    },
  });
  let clerk: string;
  let dpo: string;
  let customerId: string;

  const newCustomer = async (email: string, name = 'Casey Example'): Promise<string> => {
    const res = await postOrder(
      t.app,
      clerk,
      order({ customer: { name, email, phone: '+44 20 7946 0958' } }),
    );
    expect(res.statusCode).toBe(201);
    return res.json<{ customer: { id: string } }>().customer.id;
  };

  beforeAll(async () => {
    clerk = t.token('clerk');
    dpo = t.token('dpo');
    const res = await postOrder(t.app, clerk, order({ customer: CANARY }));
    customerId = res.json<{ customer: { id: string } }>().customer.id;
  });

  it('the database holds none of the submitted plaintext', async () => {
    const rows = await t.app.get(DataSource).query<Record<string, unknown>[]>('SELECT * FROM customers');
    const dump = JSON.stringify(rows).toLowerCase();
    for (const piece of PLAINTEXT_PIECES) expect(dump).not.toContain(piece.toLowerCase());
    const row = rows.find((r) => r.id === customerId)!;
    expect(String(row.email_enc)).toMatch(/^pf1\.1\./);
    expect(String(row.wrapped_dek)).toMatch(/^ob1\.1\./);
    expect(String(row.email_bidx)).toMatch(/^[0-9a-f]{64}$/);
    const orders = await t.app.get(DataSource).query<Record<string, unknown>[]>('SELECT * FROM orders');
    expect(JSON.stringify(orders).toLowerCase()).not.toContain('canary');
  });

  it('GET /customers/:id answers masked', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/customers/${customerId}`,
      headers: bearer(clerk),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json<Customer>()).toMatchObject({
      name: 'Z*** C***',
      email: 'z***@canary-mail.example',
      phone: '***17',
      address: { city: 'Utrecht', country: 'NL' },
      erased: false,
    });
    for (const piece of PLAINTEXT_PIECES.slice(0, 3)) expect(res.body).not.toContain(piece);
  });

  it('refuses a malformed id with 400 and answers an unknown one with 404', async () => {
    expect(
      (await t.app.inject({ method: 'GET', url: '/customers/abc', headers: bearer(clerk) })).statusCode,
    ).toBe(400);
    const unknown = await t.app.inject({
      method: 'GET',
      url: '/customers/CUS-01JD8Q5Z3M7R4T6V8X0B2C4D6F',
      headers: bearer(clerk),
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('search finds by normalized email or phone through the blind index, masked', async () => {
    for (const body of [
      { email: '  ZEBEDIAH.Canary@canary-mail.example ' },
      { phone: '0031-6-4242-1717' },
      { phone: '+31642421717' },
    ]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/customers/search',
        headers: bearer(clerk),
        payload: body,
      });
      expect(res.statusCode, JSON.stringify(body)).toBe(200);
      const found = res.json<Customer[]>();
      expect(found.map((c) => c.id)).toContain(customerId);
      expect(res.body).not.toContain(CANARY.email);
    }
    const both = await t.app.inject({
      method: 'POST',
      url: '/customers/search',
      headers: bearer(clerk),
      payload: { email: CANARY.email, phone: CANARY.phone },
    });
    expect(both.statusCode).toBe(400);
    expect(both.body).not.toContain(CANARY.email);
  });

  it('reveal needs pii:reveal and a purpose, and answers in clear with no-store', async () => {
    const url = `/customers/${customerId}/reveal`;
    expect(
      (await t.app.inject({ method: 'POST', url, headers: bearer(clerk), payload: { purpose: 'support' } }))
        .statusCode,
    ).toBe(403);
    expect(
      (await t.app.inject({ method: 'POST', url, headers: bearer(dpo), payload: { purpose: 'curiosity' } }))
        .statusCode,
    ).toBe(400);
    expect((await t.app.inject({ method: 'POST', url, headers: bearer(dpo), payload: {} })).statusCode).toBe(
      400,
    );
    const res = await t.app.inject({
      method: 'POST',
      url,
      headers: bearer(dpo),
      payload: { purpose: 'support' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json<Customer>()).toMatchObject({
      name: CANARY.name,
      email: CANARY.email,
      phone: CANARY.phone,
      address: CANARY.address,
    });
  });

  it('a pii:reveal token still gets masked data everywhere except the reveal route', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/customers/${customerId}`, headers: bearer(dpo) });
    expect(res.json<Customer>().email).toBe('z***@canary-mail.example');
    const orders = await t.app.inject({ method: 'GET', url: '/orders', headers: bearer(dpo) });
    expect(orders.body).not.toContain(CANARY.email);
  });

  it('export gives everything held, with the orders, no-store', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/customers/${customerId}/export`,
      headers: bearer(dpo),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json<{ customer: Customer; related: { orders: { id: string; total: string }[] } }>();
    expect(body.customer.email).toBe(CANARY.email);
    expect(body.related.orders.length).toBeGreaterThan(0);
    expect(body.related.orders[0].total).toBe('2249.88');
    expect(
      (await t.app.inject({ method: 'GET', url: `/customers/${customerId}/export`, headers: bearer(clerk) }))
        .statusCode,
    ).toBe(403);
  });

  it('a ciphertext moved to another row, or altered, fails to decrypt: an error, never data', async () => {
    const a = await newCustomer('swap.a@example.com', 'Alice Swap');
    const b = await newCustomer('swap.b@example.com', 'Bob Swap');
    const ds = t.app.get(DataSource);
    await ds.query(
      `UPDATE customers SET email_enc = (SELECT email_enc FROM customers WHERE id = $2) WHERE id = $1`,
      [a, b],
    );
    const swapped = await t.app.inject({
      method: 'POST',
      url: `/customers/${a}/reveal`,
      headers: bearer(dpo),
      payload: { purpose: 'fraud' },
    });
    expect(swapped.statusCode).toBe(500);
    expect(swapped.body).not.toContain('swap.b@');
    // Another column of the same row does not open either.
    await ds.query(`UPDATE customers SET name_enc = email_enc WHERE id = $1`, [b]);
    expect(
      (await t.app.inject({ method: 'GET', url: `/customers/${b}`, headers: bearer(clerk) })).statusCode,
    ).toBe(500);

    const c = await newCustomer('flip.c@example.com');
    const [{ phone_enc: phone }] = await ds.query<{ phone_enc: string }[]>(
      'SELECT phone_enc FROM customers WHERE id = $1',
      [c],
    );
    const parts = phone.split('.');
    const body = Buffer.from(parts[3], 'base64url');
    body[0] ^= 0x01;
    parts[3] = body.toString('base64url');
    await ds.query('UPDATE customers SET phone_enc = $2 WHERE id = $1', [c, parts.join('.')]);
    expect(
      (await t.app.inject({ method: 'GET', url: `/customers/${c}`, headers: bearer(clerk) })).statusCode,
    ).toBe(500);
    expect(t.logs.text).not.toContain('flip.c@');
  });

  it('erasure destroys the key and the indexes; orders keep their figures', async () => {
    const res = await postOrder(
      t.app,
      clerk,
      order({ customer: { name: 'Erin Erase', email: 'erin.erase@example.com' } }),
    );
    const { id: orderId, customer } = res.json<{ id: string; customer: { id: string } }>();
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/customers/${customer.id}/pii`, headers: bearer(clerk) }))
        .statusCode,
    ).toBe(403);
    const erased = await t.app.inject({
      method: 'DELETE',
      url: `/customers/${customer.id}/pii`,
      headers: bearer(dpo),
    });
    expect(erased.statusCode).toBe(204);

    const view = await t.app.inject({
      method: 'GET',
      url: `/customers/${customer.id}`,
      headers: bearer(clerk),
    });
    expect(view.json<Customer>()).toMatchObject({ erased: true, name: null, email: null });
    const reveal = await t.app.inject({
      method: 'POST',
      url: `/customers/${customer.id}/reveal`,
      headers: bearer(dpo),
      payload: { purpose: 'legal' },
    });
    expect(reveal.statusCode).toBe(410);
    expect(
      (await t.app.inject({ method: 'GET', url: `/customers/${customer.id}/export`, headers: bearer(dpo) }))
        .statusCode,
    ).toBe(410);
    const search = await t.app.inject({
      method: 'POST',
      url: '/customers/search',
      headers: bearer(clerk),
      payload: { email: 'erin.erase@example.com' },
    });
    expect(search.json<Customer[]>()).toEqual([]);
    const orderView = await t.app.inject({
      method: 'GET',
      url: `/orders/${orderId}`,
      headers: bearer(clerk),
    });
    expect(orderView.json()).toMatchObject({ total: '2249.88', customer: { id: customer.id, erased: true } });
    const erasedEvents = await t.app
      .get(DataSource)
      .query<{ action: string }[]>('SELECT action FROM audit_events WHERE target_id = $1 ORDER BY arrival', [
        customer.id,
      ]);
    expect(erasedEvents.map((e) => e.action)).toEqual(['customer.created', 'pii.erased']);
    const [row] = await t.app
      .get(DataSource)
      .query<Record<string, unknown>[]>('SELECT * FROM customers WHERE id = $1', [customer.id]);
    expect(row).toMatchObject({
      wrapped_dek: null,
      email_bidx: null,
      phone_bidx: null,
      email_enc: null,
      name_enc: null,
    });
    const again = await postOrder(
      t.app,
      clerk,
      order({ customer: { name: 'Erin Erase', email: 'erin.erase@example.com' } }),
    );
    expect(again.json<{ customer: { id: string } }>().customer.id).not.toBe(customer.id);
  });
});

describe('master key rotation', () => {
  it('new keys wrap new data, rewrap moves old data keys, and start-up refuses unknown versions', async () => {
    const db = await provisionTestDatabase();
    const v1 = `v1:${randomBytes(32).toString('base64')}`;
    const v2 = `v2:${randomBytes(32).toString('base64')}`;
    const base = {
      ...db.env,
      ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      STRICT_RATE_LIMIT_PER_MINUTE: '10000',
    };
    const login = async (t: TestApp) => (await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD)).access_token;
    const reveal = async (t: TestApp, token: string, id: string) =>
      t.app.inject({
        method: 'POST',
        url: `/customers/${id}/reveal`,
        headers: bearer(token),
        payload: { purpose: 'support' },
      });
    const ids: string[] = [];
    try {
      let t = await startTestApp({ ...base, ORDEROPS_MASTER_KEYS: v1 });
      let token = await login(t);
      for (let i = 0; i < 3; i++) {
        const res = await postOrder(
          t.app,
          token,
          order({ customer: { name: `Rot ${i}`, email: `rot${i}@example.com` } }),
        );
        ids.push(res.json<{ customer: { id: string } }>().customer.id);
      }
      await t.close();

      t = await startTestApp({ ...base, ORDEROPS_MASTER_KEYS: `${v2},${v1}` });
      token = await login(t);
      const res = await postOrder(
        t.app,
        token,
        order({ customer: { name: 'Rot new', email: 'rotnew@example.com' } }),
      );
      ids.push(res.json<{ customer: { id: string } }>().customer.id);
      const versions = await t.app
        .get(DataSource)
        .query<{ kek_version: number }[]>('SELECT kek_version FROM customers ORDER BY id');
      expect(versions.map((v) => v.kek_version).sort()).toEqual([1, 1, 1, 2]);
      for (const id of ids) expect((await reveal(t, token, id)).statusCode).toBe(200);
      const fieldsBefore = await t.app
        .get(DataSource)
        .query<{ email_enc: string }[]>('SELECT email_enc FROM customers ORDER BY id');
      const service = t.app.get(CustomersService);
      expect(await service.countStale()).toBe(3);
      expect(await service.rewrapBatch({ type: 'system', id: 'test' }, 2)).toEqual({
        rewrapped: 2,
        remaining: 1,
      });
      expect(await service.rewrapBatch({ type: 'system', id: 'test' }, 2)).toEqual({
        rewrapped: 1,
        remaining: 0,
      });
      const fieldsAfter = await t.app
        .get(DataSource)
        .query<{ email_enc: string }[]>('SELECT email_enc FROM customers ORDER BY id');
      expect(fieldsAfter).toEqual(fieldsBefore);
      await t.close();

      t = await startTestApp({ ...base, ORDEROPS_MASTER_KEYS: v2 });
      token = await login(t);
      for (const id of ids) {
        const r = await reveal(t, token, id);
        expect(r.statusCode).toBe(200);
        expect(r.json<Customer>().email).toMatch(/^rot(\d|new)@example\.com$/);
      }
      await t.close();

      await expect(
        startTestApp({ ...base, ORDEROPS_MASTER_KEYS: `v3:${randomBytes(32).toString('base64')}` }),
      ).rejects.toThrow(/4 customer data key\(s\) are wrapped with a master key version/);
    } finally {
      await db.dispose();
    }
  });
});
