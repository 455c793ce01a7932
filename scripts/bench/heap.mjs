// npm run build && node scripts/bench/heap.mjs — what heap caps cost the API: two API processes on one scratch
// database, one with Node's own heap sizing and one with caps (BENCH_HEAP_FLAGS, default
// the image's NODE_OPTIONS from the Dockerfile), under the load of B1, B2 and B3 of
// bench.mjs from a load generator process, in alternating rounds. Prints, per benchmark,
// the capped API's median requests/s and CPU per request against the uncapped one's; the
// image's and the chart's defaults must cost at most 10% (ratio >= 0.9x).
// BENCH_ROUNDS, BENCH_ROUND_MS, BENCH_ORDERS, BENCH_ONLY and BENCH_DATABASE_URL as bench.mjs.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import pg from 'pg';
import { IMAGE_NODE_OPTIONS, peakRssMiBOf, startBuiltApi } from '../bench-support.mjs';
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
  startLoadGenerator,
  tokenFor,
} from './rounds.mjs';

const capFlags = (process.env.BENCH_HEAP_FLAGS ?? IMAGE_NODE_OPTIONS).split(/\s+/).filter(Boolean);

const db = await scratchDatabase(
  pg,
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
);
// One data directory: both APIs use the same development keys, so each reads the other's rows.
const dataDir = mkdtempSync(join(tmpdir(), 'orderops-bench-heap-'));
const env = { ORDEROPS_DATA_DIR: dataDir, DATABASE_URL: db.url };
const apis = [];
const children = [];
try {
  // One after the other: the first migrates the database and writes the keys.
  apis.push(await startBuiltApi(env, { nodeFlags: capFlags }));
  apis.push(await startBuiltApi(env, { nodeFlags: [] }));
  const [capped, own] = apis.map(({ child, port }) => ({ pid: child.pid, port }));
  const loadgen = await startLoadGenerator();
  children.push(loadgen);
  // Each API checks the tokens it issued itself; fresh ones for each benchmark (10 minutes each).
  const bearer = async (api) => ({ authorization: `Bearer ${await tokenFor(api.port)}` });
  const results = [];
  const both = async (name, request, authed) =>
    compare(
      name,
      0.9,
      loadgen,
      { server: capped, request, headers: authed ? await bearer(capped) : {} },
      { server: own, request, headers: authed ? await bearer(own) : {} },
    );
  if (runs('B1'))
    results.push(await both('B1 GET /health/live', { kind: 'get', path: '/health/live' }, false));
  if (runs('B2') && ORDERS > 0) {
    out(`Seeding ${ORDERS} orders with customers through POST /orders...`);
    const ids = await seedOrders(own.port, ORDERS);
    results.push(await both('B2 GET /orders/:id', { kind: 'get-random', prefix: '/orders/', ids }, true));
  }
  if (runs('B3')) results.push(await both('B3 POST /orders', { kind: 'create-order' }, true));
  out(
    `\n${ROUNDS} alternating rounds of ${ROUND_MS} ms (after a warm-up round each), ${CONNECTIONS} keep-alive ` +
      `connections from a load generator process; medians. Load average at the end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  out(`capped: ${capFlags.join(' ') || '(no flags)'}; own: Node's own sizing`);
  printResults(results, ['capped', 'own']);
  out(
    `peak RSS: capped ${peakRssMiBOf(capped.pid)?.toFixed(0)} MiB, own ${peakRssMiBOf(own.pid)?.toFixed(0)} MiB`,
  );
} finally {
  for (const c of children) if (c.child.exitCode === null) await c.stop();
  for (const { child } of apis) {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r()));
  }
  await db.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
