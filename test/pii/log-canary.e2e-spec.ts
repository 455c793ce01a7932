import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, passwordGrant } from '../support/auth.js';
import { CANARY, order, postOrder } from '../support/orders.js';
import { useTestApp } from '../support/use-test-app.js';

/** Recognisable personal data; none of it may reach a log line, whatever the request does. */
const PIECES = [
  'Zebediah',
  'Canaryfield',
  'zebediah.canary',
  'canary-mail',
  '4242 1717',
  '642421717',
  'Canary Wharf',
];

describe('log canary', () => {
  const t = useTestApp({
    env: { STRICT_RATE_LIMIT_PER_MINUTE: '10000', LOG_LEVEL: 'trace' },
    probes: true,
    operators: { allscopes: ['orders:read', 'orders:write', 'pii:reveal', 'pii:export', 'pii:erase'] },
  });
  let token: string;
  beforeAll(() => {
    token = t.token('allscopes');
  });

  it('personal data sent through every endpoint, valid or not, never reaches the logs', async () => {
    const auth = bearer(token);
    const created = await postOrder(t.app, token, order({ customer: CANARY }));
    expect(created.statusCode).toBe(201);
    const { id: orderId, customer } = created.json<{ id: string; customer: { id: string } }>();
    const requests = [
      // invalid bodies that carry the data in many places
      postOrder(t.app, token, order({ customer: { ...CANARY, email: `${CANARY.name} <${CANARY.email}>` } })),
      postOrder(t.app, token, order({ customer: CANARY, extraField: CANARY.email })),
      postOrder(
        t.app,
        token,
        order({ customer: { ...CANARY, address: { ...CANARY.address, country: CANARY.name } } }),
      ),
      postOrder(t.app, token, order({ customerId: CANARY.email })),
      postOrder(
        t.app,
        token,
        order({ note: `call ${CANARY.phone} or mail ${CANARY.email}`, currency: 'XXX' }),
      ),
      postOrder(t.app, token, order({ customer: CANARY }), { 'idempotency-key': CANARY.email }),
      t.app.inject({
        method: 'POST',
        url: '/orders',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: `{"customer": {"email": "${CANARY.email}"`,
      }),
      t.app.inject({
        method: 'POST',
        url: '/orders',
        headers: auth,
        payload: { customer: CANARY, pad: 'x'.repeat(110 * 1024) },
      }),
      t.app.inject({
        method: 'POST',
        url: '/customers/search',
        headers: auth,
        payload: { email: CANARY.email },
      }),
      t.app.inject({
        method: 'POST',
        url: '/customers/search',
        headers: auth,
        payload: { email: CANARY.email, phone: CANARY.phone },
      }),
      t.app.inject({
        method: 'POST',
        url: '/customers/search',
        headers: auth,
        payload: { phone: CANARY.name },
      }),
      t.app.inject({
        method: 'POST',
        url: `/customers/${customer.id}/reveal`,
        headers: auth,
        payload: { purpose: CANARY.email },
      }),
      t.app.inject({
        method: 'POST',
        url: `/customers/${customer.id}/reveal`,
        headers: auth,
        payload: { purpose: 'support' },
      }),
      t.app.inject({ method: 'GET', url: `/customers/${customer.id}/export`, headers: auth }),
      t.app.inject({ method: 'GET', url: `/customers/${encodeURIComponent(CANARY.email)}`, headers: auth }),
      t.app.inject({
        method: 'GET',
        url: `/orders?status=${encodeURIComponent(CANARY.email)}`,
        headers: auth,
      }),
      t.app.inject({ method: 'GET', url: `/orders/${encodeURIComponent(CANARY.phone)}`, headers: auth }),
      t.app.inject({
        method: 'PATCH',
        url: `/orders/${orderId}`,
        headers: { ...auth, 'if-match': CANARY.email },
        payload: { status: 'paid' },
      }),
      t.app.inject({
        method: 'GET',
        url: `/nowhere/${encodeURIComponent(CANARY.email)}?q=${encodeURIComponent(CANARY.phone)}`,
      }),
      passwordGrant(t.app, CANARY.email, CANARY.phone),
      t.app.inject({ method: 'GET', url: '/orders', headers: { authorization: `Bearer ${CANARY.email}` } }),
    ];
    const responses = await Promise.all(requests);
    expect(responses.map((r) => r.statusCode)).toContain(400);
    expect(responses.map((r) => r.statusCode)).toContain(413);
    expect(t.logs.lines.length).toBeGreaterThan(20);
    const logs = t.logs.text.toLowerCase();
    for (const piece of PIECES) expect(logs, piece).not.toContain(piece.toLowerCase());
    const events = await t.app
      .get(DataSource)
      .query<{ action: string; details: unknown }[]>(
        'SELECT action, actor, target_id, details FROM audit_events',
      );
    const actions = events.map((e) => e.action);
    for (const action of ['customer.created', 'order.created', 'pii.revealed', 'pii.exported'])
      expect(actions).toContain(action);
    expect(events.find((e) => e.action === 'pii.revealed')?.details).toEqual({ purpose: 'support' });
    const trail = JSON.stringify(events).toLowerCase();
    for (const piece of PIECES) expect(trail, `audit ${piece}`).not.toContain(piece.toLowerCase());
    for (const res of responses.filter((r) => r.statusCode >= 400)) {
      for (const piece of PIECES) expect(res.body, `${res.statusCode} ${piece}`).not.toContain(piece);
    }
  });
});
