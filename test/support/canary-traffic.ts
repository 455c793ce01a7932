import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { bearer, passwordGrant } from './auth.js';
import { CANARY, order, postOrder } from './orders.js';

/** Recognisable personal data; none of it may reach a log line, whatever the request does. */
export const CANARY_PIECES = [
  'Zebediah',
  'Canaryfield',
  'zebediah.canary',
  'canary-mail',
  '4242 1717',
  '642421717',
  'Canary Wharf',
];

/**
 * Sends personal data through every endpoint, valid or not, as one caller holding every
 * scope (`token`): the traffic the canary suites then look for in logs, audit events,
 * error bodies and traces.
 */
export async function sendCanaryTraffic(
  app: NestFastifyApplication,
  token: string,
): Promise<LightMyRequestResponse[]> {
  const auth = bearer(token);
  const created = await postOrder(app, token, order({ customer: CANARY }));
  if (created.statusCode !== 201) throw new Error(`the canary order answered ${created.statusCode}`);
  const { id: orderId, customer } = created.json<{ id: string; customer: { id: string } }>();
  const requests = [
    // invalid bodies that carry the data in many places
    postOrder(app, token, order({ customer: { ...CANARY, email: `${CANARY.name} <${CANARY.email}>` } })),
    postOrder(app, token, order({ customer: CANARY, extraField: CANARY.email })),
    postOrder(
      app,
      token,
      order({ customer: { ...CANARY, address: { ...CANARY.address, country: CANARY.name } } }),
    ),
    postOrder(app, token, order({ customerId: CANARY.email })),
    postOrder(app, token, order({ note: `call ${CANARY.phone} or mail ${CANARY.email}`, currency: 'XXX' })),
    postOrder(app, token, order({ customer: CANARY }), { 'idempotency-key': CANARY.email }),
    app.inject({
      method: 'POST',
      url: '/orders',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: `{"customer": {"email": "${CANARY.email}"`,
    }),
    app.inject({
      method: 'POST',
      url: '/orders',
      headers: auth,
      payload: { customer: CANARY, pad: 'x'.repeat(110 * 1024) },
    }),
    app.inject({
      method: 'POST',
      url: '/customers/search',
      headers: auth,
      payload: { email: CANARY.email },
    }),
    app.inject({
      method: 'POST',
      url: '/customers/search',
      headers: auth,
      payload: { email: CANARY.email, phone: CANARY.phone },
    }),
    app.inject({
      method: 'POST',
      url: '/customers/search',
      headers: auth,
      payload: { phone: CANARY.name },
    }),
    app.inject({
      method: 'POST',
      url: `/customers/${customer.id}/reveal`,
      headers: auth,
      payload: { purpose: CANARY.email },
    }),
    app.inject({
      method: 'POST',
      url: `/customers/${customer.id}/reveal`,
      headers: auth,
      payload: { purpose: 'support' },
    }),
    app.inject({ method: 'GET', url: `/customers/${customer.id}/export`, headers: auth }),
    app.inject({ method: 'GET', url: `/customers/${encodeURIComponent(CANARY.email)}`, headers: auth }),
    app.inject({
      method: 'GET',
      url: `/orders?status=${encodeURIComponent(CANARY.email)}`,
      headers: auth,
    }),
    app.inject({ method: 'GET', url: `/orders/${encodeURIComponent(CANARY.phone)}`, headers: auth }),
    app.inject({
      method: 'PATCH',
      url: `/orders/${orderId}`,
      headers: { ...auth, 'if-match': CANARY.email },
      payload: { status: 'paid' },
    }),
    app.inject({
      method: 'GET',
      url: `/nowhere/${encodeURIComponent(CANARY.email)}?q=${encodeURIComponent(CANARY.phone)}`,
    }),
    passwordGrant(app, CANARY.email, CANARY.phone),
    app.inject({ method: 'GET', url: '/orders', headers: { authorization: `Bearer ${CANARY.email}` } }),
  ];
  return Promise.all(requests);
}
