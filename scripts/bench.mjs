// npm run bench — the whole app against bare Fastify baselines, side by side in one run.
// B1: GET /health/live through the whole app vs a bare Fastify handler.
// B2: authenticated GET /orders/:id (random ids of 10,000 orders, masked customer) vs a bare
//     Fastify + pg handler doing the same primary-key SELECTs and JSON.
// Rounds alternate between the two targets; medians of requests/s and their ratio are
// printed (targets: B1 >= 0.7x, B2 >= 0.5x). A benchmark: it reports, it does not fail.
// Database: BENCH_DATABASE_URL (a PostgreSQL whose role may CREATE DATABASE), default the
// local server at postgres://postgres@127.0.0.1:5432/postgres; a scratch database
// orderops_bench_<pid> is created and dropped.
import Fastify from 'fastify';
import { Buffer } from 'node:buffer';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { URL, URLSearchParams } from 'node:url';
import pg from 'pg';
import { BENCH_PASSWORD as PASSWORD, IMAGE_NODE_OPTIONS, send, startBuiltApi } from './bench-support.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 2000);
const CONNECTIONS = 16;
const ORDERS = Number(process.env.BENCH_ORDERS ?? 10_000);
const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const call = (agent, port, method, path, { body, headers = {} } = {}) =>
  send({ agent, port, method, path, body, headers });

/** Closed-loop load for `ms`: requests per second. */
async function load(port, ms, nextPath, headers) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const until = Date.now() + ms;
  let count = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < until) {
        const { status } = await call(agent, port, 'GET', nextPath(), { headers });
        if (status !== 200) throw new Error(`GET answered ${status}`);
        count++;
      }
    }),
  );
  agent.destroy();
  return (count / ms) * 1000;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function compare(name, app, bare) {
  const results = { app: [], bare: [] };
  await app();
  await bare(); // warm-up round each, not counted
  for (let round = 0; round < ROUNDS; round++) {
    results.app.push(await app());
    results.bare.push(await bare());
  }
  const a = median(results.app);
  const b = median(results.bare);
  return { name, app: a, bare: b, ratio: a / b };
}

const dbName = `orderops_bench_${process.pid}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(dbName)}`);
const dbUrl = new URL(adminUrl);
dbUrl.pathname = `/${dbName}`;

const dataDir = mkdtempSync(join(tmpdir(), 'orderops-bench-'));
// Like for like: the API's Node sizes its heap itself, as the bare baselines' does;
// BENCH_IMAGE_HEAP=1 runs it with the container image's heap caps instead.
const imageHeap = process.env.BENCH_IMAGE_HEAP === '1';
const { child: api, port: apiPort } = await startBuiltApi(
  { ORDEROPS_DATA_DIR: dataDir, DATABASE_URL: dbUrl.toString() },
  { imageHeap },
);

let bare;
let pool;
try {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const form = new URLSearchParams({
    grant_type: 'password',
    client_id: 'orderops-web',
    username: 'admin',
    password: PASSWORD,
    scope: 'orders:read orders:write',
  }).toString();
  const tokenRes = await call(agent, apiPort, 'POST', '/oauth/token', {
    body: form,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': Buffer.byteLength(form),
    },
  });
  const token = JSON.parse(tokenRes.body).access_token;
  const auth = { authorization: `Bearer ${token}` };

  process.stdout.write(`Seeding ${ORDERS} orders with customers through POST /orders...\n`);
  const ids = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < ORDERS) {
        const i = next++;
        const body = JSON.stringify({
          currency: 'EUR',
          customer: { name: `Bench Person ${i}`, email: `bench.${i}@example.com`, phone: '+31 20 123 4567' },
          items: [
            { product: 'Laptop', unitPrice: '999.99', quantity: 1 },
            { product: 'Mouse', unitPrice: '24.99', quantity: 2 },
          ],
        });
        const res = await call(agent, apiPort, 'POST', '/orders', {
          body,
          headers: { ...auth, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        });
        if (res.status !== 201) throw new Error(`seeding answered ${res.status}`);
        ids.push(JSON.parse(res.body).id);
      }
    }),
  );
  agent.destroy();
  const randomId = () => ids[Math.floor(Math.random() * ids.length)];

  pool = new pg.Pool({ connectionString: dbUrl.toString(), max: 10 });
  bare = Fastify({ logger: false });
  bare.get('/health/live', async () => ({ status: 'ok' }));
  bare.get('/orders/:id', async (req) => {
    const { id } = req.params;
    const order = (await pool.query('SELECT * FROM orders WHERE id = $1', [id])).rows[0];
    const items = (await pool.query('SELECT * FROM order_items WHERE order_id = $1 ORDER BY position', [id]))
      .rows;
    const customer = order.customer_id
      ? (await pool.query('SELECT * FROM customers WHERE id = $1', [order.customer_id])).rows[0]
      : null;
    return { ...order, items, customer: customer ? { id: customer.id } : null };
  });
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const barePort = bare.server.address().port;

  const b1 = await compare(
    'B1 GET /health/live',
    () => load(apiPort, ROUND_MS, () => '/health/live', {}),
    () => load(barePort, ROUND_MS, () => '/health/live', {}),
  );
  const b2 =
    ORDERS === 0
      ? undefined
      : await compare(
          'B2 GET /orders/:id',
          () => load(apiPort, ROUND_MS, () => `/orders/${randomId()}`, auth),
          () => load(barePort, ROUND_MS, () => `/orders/${randomId()}`, {}),
        );

  process.stdout.write(
    `\n${ROUNDS} alternating rounds of ${ROUND_MS} ms, ${CONNECTIONS} keep-alive connections; medians; ` +
      `API heap: ${imageHeap ? `the image's caps (${IMAGE_NODE_OPTIONS})` : "Node's own sizing, as the bare baselines"}\n`,
  );
  process.stdout.write(
    `${'benchmark'.padEnd(24)} ${'app req/s'.padStart(10)} ${'bare req/s'.padStart(11)} ${'ratio'.padStart(7)} target\n`,
  );
  for (const [r, target] of [
    [b1, 0.7],
    [b2, 0.5],
  ].filter(([r]) => r !== undefined)) {
    process.stdout.write(
      `${r.name.padEnd(24)} ${r.app.toFixed(0).padStart(10)} ${r.bare.toFixed(0).padStart(11)} ${r.ratio.toFixed(2).padStart(6)}x >= ${target}x ${r.ratio >= target ? 'OK' : 'BELOW'}\n`,
    );
  }
} finally {
  await bare?.close();
  await pool?.end();
  api.kill('SIGTERM');
  await new Promise((r) => api.once('exit', r));
  await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(dbName)} WITH (FORCE)`);
  await admin.end();
  rmSync(dataDir, { recursive: true, force: true });
}
