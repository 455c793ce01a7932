// A partner's program written against the types generated from openapi.json (openapi.d.ts),
// with openapi-fetch: it creates an order, reads it back, and tells a missing order by its
// problem type. test/typed-client.e2e-spec.ts compiles it with tsc and runs it against a
// started app; it prints one JSON line and exits 0, or names what went wrong and exits 1.
import createClient from 'openapi-fetch';
import type { components, paths } from './openapi.js';

type Problem = components['schemas']['Problem'];

const NOT_FOUND: Problem['type'] = 'urn:orderops:problem:order-not-found';
const MISSING_ID = 'ORD-00000000000000000000000000';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const baseUrl = process.env.ORDEROPS_URL ?? fail('ORDEROPS_URL is not set');
const token = process.env.ORDEROPS_TOKEN ?? fail('ORDEROPS_TOKEN is not set');
const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });

const created = await client.POST('/orders', {
  body: {
    currency: 'EUR',
    externalRef: 'PO-TYPED-1',
    items: [{ product: 'Pen', unitPrice: '1.50', quantity: 2 }],
  },
});
if (created.error) fail(`create: ${created.response.status} ${created.error.type}`);
const order = created.data;

const read = await client.GET('/orders/{id}', { params: { path: { id: order.id } } });
if (read.error) fail(`read: ${read.response.status} ${read.error.type}`);
const quantity: number = read.data.items[0].quantity;

const missing = await client.GET('/orders/{id}', { params: { path: { id: MISSING_ID } } });
if (!missing.error) fail('read of a missing order succeeded');
// Branch on the problem type, never on the status text or the detail.
const missingIs = missing.error.type === NOT_FOUND ? 'order-not-found' : `unexpected ${missing.error.type}`;

process.stdout.write(
  `${JSON.stringify({
    id: order.id,
    status: read.data.status,
    total: read.data.total,
    quantity,
    externalRef: read.data.externalRef,
    missing: { status: missing.response.status, is: missingIs },
  })}\n`,
);
