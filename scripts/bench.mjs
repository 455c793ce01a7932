// npm run bench — the whole app against bare baselines. Every server runs in a process of
// its own (the API, and one bare process per benchmark) and so does the load generator;
// this script only starts processes, alternates rounds and collects numbers.
// B1: GET /health/live through the whole app vs a bare Fastify handler.
// B2: authenticated GET /orders/:id (random ids of 10,000 orders, masked customer) vs a bare
//     Fastify + pg handler doing primary-key SELECTs of the order, its items and its customer.
// B3: authenticated, validated POST /orders (a new customer with 3 encrypted fields and blind
//     indexes, an Idempotency-Key, 2 items; customer, order, item, key and audit rows) vs a
//     bare Fastify (ajv schema) + pg process doing the same validation, crypto and inserts into
//     the same tables (scripts/bench/bare-create-order.mjs).
// Per round and side: requests/s, and CPU time per request of the server process (utime +
// stime from /proc/<pid>/stat across the round). Medians of alternating rounds (after one
// warm-up round each) and their ratios are printed, with the targets (B1 >= 0.5x, B2 >=
// 0.75x, B3 >= 0.5x of the bare requests/s). A benchmark: it reports, it does not fail.
// BENCH_ROUNDS (5), BENCH_ROUND_MS (2000), BENCH_ORDERS (10,000; 0 skips B2), BENCH_ONLY
// (e.g. "B1,B3"), BENCH_IMAGE_HEAP=1 (the API with the image's NODE_OPTIONS),
// BENCH_NODE_OPTIONS (more API flags, e.g. other heap caps to try).
// Database: BENCH_DATABASE_URL (a PostgreSQL whose role may CREATE DATABASE), default the
// local server at postgres://postgres@127.0.0.1:5432/postgres; a scratch database
// orderops_bench_<pid> is created, migrated by the API, and dropped.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import pg from 'pg';
import { apiNodeFlags, peakRssMiBOf, startBuiltApi } from './bench-support.mjs';
import {
  CONNECTIONS,
  ORDERS,
  ROUND_MS,
  ROUNDS,
  compare,
  out,
  printResults,
  runs,
  scratchDatabase,
  seedOrders,
  startBare,
  startLoadGenerator,
  tokenFor,
  verifyAuditChain,
} from './bench/rounds.mjs';

const imageHeap = process.env.BENCH_IMAGE_HEAP === '1';

const db = await scratchDatabase(
  pg,
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
);
const dataDir = mkdtempSync(join(tmpdir(), 'orderops-bench-'));
// Like for like: the API's Node sizes its heap itself, as the baselines' does;
// BENCH_IMAGE_HEAP=1 runs it with the container image's heap caps instead.
const { child: api, port: apiPort } = await startBuiltApi(
  { ORDEROPS_DATA_DIR: dataDir, DATABASE_URL: db.url },
  { imageHeap },
);
const app = { pid: api.pid, port: apiPort };
const children = [];
const results = [];
const peaks = [];
let chainChecked;

/**
 * One benchmark: its bare process started for it, alternating rounds, the process stopped.
 * `authed`: the app's requests carry a bearer token, fresh for each benchmark (a token lives
 * 10 minutes, and seeding on a busy machine can take longer).
 */
async function against(name, target, mode, request, authed, loadgen) {
  const appHeaders = authed ? { authorization: `Bearer ${await tokenFor(apiPort)}` } : {};
  const bare = await startBare(mode, db.url);
  children.push(bare);
  results.push(
    await compare(
      name,
      target,
      loadgen,
      { server: app, request, headers: appHeaders },
      { server: bare.server, request, headers: {} },
    ),
  );
  peaks.push([`${name.slice(0, 2)} bare`, peakRssMiBOf(bare.pid)]);
  await bare.stop();
}

try {
  const loadgen = await startLoadGenerator();
  children.push(loadgen);
  if (runs('B1')) {
    await against(
      'B1 GET /health/live',
      0.5,
      'health',
      { kind: 'get', path: '/health/live' },
      false,
      loadgen,
    );
  }
  if (runs('B2') && ORDERS > 0) {
    out(`Seeding ${ORDERS} orders with customers through POST /orders...`);
    const ids = await seedOrders(apiPort, ORDERS);
    await against(
      'B2 GET /orders/:id',
      0.75,
      'order-read',
      { kind: 'get-random', prefix: '/orders/', ids },
      true,
      loadgen,
    );
  }
  if (runs('B3')) {
    await against('B3 POST /orders', 0.5, 'order-create', { kind: 'create-order' }, true, loadgen);
    // Both sides wrote into one audit log: the API sequences and verifies it, which proves the baseline
    // wrote real events with correct leaf hashes.
    chainChecked = await verifyAuditChain(apiPort);
  }
  peaks.unshift(['API', peakRssMiBOf(api.pid)]);

  const flags = apiNodeFlags(imageHeap).join(' ');
  out(
    `\n${ROUNDS} alternating rounds of ${ROUND_MS} ms (after a warm-up round each), ${CONNECTIONS} keep-alive ` +
      `connections from a load generator process; medians. Load average at the end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  out(
    `API heap: ${imageHeap ? "the image's caps" : "Node's own sizing, as the baselines'"}` +
      `${flags ? ` (${flags})` : ''}; baselines: Node's own sizing`,
  );
  printResults(results, ['app', 'bare']);
  if (chainChecked !== undefined) out(`audit log after B3: valid, ${chainChecked} events checked`);
  out(`peak RSS: ${peaks.map(([who, mib]) => `${who} ${mib?.toFixed(0) ?? '?'} MiB`).join(', ')}`);
} finally {
  for (const c of children) if (c.child.exitCode === null) await c.stop();
  api.kill('SIGTERM');
  await new Promise((r) => (api.exitCode === null ? api.once('exit', r) : r()));
  await db.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
