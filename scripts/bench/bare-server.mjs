// A bare baseline for `npm run bench`, in a process of its own (like the API): Fastify with
// only what the benchmark's route needs, started by bench.mjs as
//   node scripts/bench/bare-server.mjs <health|order-read|order-create>
// with BENCH_BARE_DATABASE_URL for the two database modes. It listens on a free port of
// 127.0.0.1 and tells its parent the port over IPC. It has no authentication, logging,
// rate limits, request context or framework beyond Fastify: what the API adds on top is
// what the ratio measures.
import Fastify from 'fastify';
import process from 'node:process';
import pg from 'pg';
import { createOrderRoute } from './bare-create-order.mjs';

const mode = process.argv[2];
const POOL_SIZE = 10; // the API's DATABASE_POOL_SIZE default

const app = Fastify({
  logger: false,
  // Refuse unknown properties and wrong types like the API does (class-validator with
  // forbidNonWhitelisted, no conversion), instead of Fastify's default of stripping and coercing.
  ajv: {
    customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false },
  },
  bodyLimit: 100 * 1024,
});
let pool;

if (mode === 'health') {
  // B1: the same answer as the API's liveness route.
  app.get('/health/live', async () => ({ status: 'ok' }));
} else if (mode === 'order-read') {
  // B2: the primary-key SELECTs of an order, its items and its customer, as JSON.
  pool = new pg.Pool({ connectionString: process.env.BENCH_BARE_DATABASE_URL, max: POOL_SIZE });
  app.get('/orders/:id', async (req, reply) => {
    const { id } = req.params;
    const order = (await pool.query('SELECT * FROM orders WHERE id = $1', [id])).rows[0];
    if (!order) return reply.code(404).send({ status: 404 });
    const items = (await pool.query('SELECT * FROM order_items WHERE order_id = $1 ORDER BY position', [id]))
      .rows;
    const customer = order.customer_id
      ? (await pool.query('SELECT * FROM customers WHERE id = $1', [order.customer_id])).rows[0]
      : null;
    return { ...order, items, customer: customer ? { id: customer.id } : null };
  });
} else if (mode === 'order-create') {
  // B3: validated POST /orders with the vault's crypto and the app's rows (bare-create-order.mjs).
  pool = new pg.Pool({ connectionString: process.env.BENCH_BARE_DATABASE_URL, max: POOL_SIZE });
  createOrderRoute(app, pool);
} else {
  throw new Error(`unknown bare server mode ${JSON.stringify(mode)}`);
}

await app.listen({ port: 0, host: '127.0.0.1' });
process.send({ ready: true, port: app.server.address().port });

process.once('SIGTERM', () => {
  void app
    .close()
    .then(() => pool?.end())
    .then(() => process.exit(0));
});
