// npm run bench — the whole app against bare baselines, each server in a process of its own
// and the load in a process of its own; this script only starts processes, alternates
// rounds and collects numbers.
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
import { Buffer } from 'node:buffer';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { URL, URLSearchParams } from 'node:url';
import pg from 'pg';
import {
  BENCH_PASSWORD as PASSWORD,
  apiNodeFlags,
  cpuSecondsOf,
  peakRssMiBOf,
  send,
  startBenchChild,
  startBuiltApi,
} from './bench-support.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 2000);
const CONNECTIONS = 16;
const ORDERS = Number(process.env.BENCH_ORDERS ?? 10_000);
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim().toUpperCase());
const runs = (name) => ONLY === undefined || ONLY.includes(name);
const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const imageHeap = process.env.BENCH_IMAGE_HEAP === '1';
const out = (line) => process.stdout.write(`${line}\n`);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * One round of closed-loop load on `server` (a process id and a port) from the load
 * generator: requests/s over the round, and the server's CPU microseconds per request.
 */
async function round(loadgen, server, request, headers) {
  const cpuBefore = cpuSecondsOf(server.pid);
  const genBefore = cpuSecondsOf(loadgen.pid);
  const answer = await loadgen.ask({
    run: { port: server.port, ms: ROUND_MS, connections: CONNECTIONS, request, headers },
  });
  if (answer.failed) throw new Error(`load generator: ${answer.failed}`);
  const { count, elapsedMs } = answer.done;
  const cpu = cpuSecondsOf(server.pid) - cpuBefore;
  return {
    rps: (count / elapsedMs) * 1000,
    cpuUs: (cpu / count) * 1e6,
    serverBusy: cpu / (elapsedMs / 1000),
    genBusy: (cpuSecondsOf(loadgen.pid) - genBefore) / (elapsedMs / 1000),
  };
}

/** Alternating rounds app, bare, app, bare... after one uncounted warm-up round each. */
async function compare(name, target, loadgen, app, bare) {
  await round(loadgen, app.server, app.request, app.headers);
  await round(loadgen, bare.server, bare.request, bare.headers);
  const results = { app: [], bare: [] };
  for (let r = 0; r < ROUNDS; r++) {
    results.app.push(await round(loadgen, app.server, app.request, app.headers));
    results.bare.push(await round(loadgen, bare.server, bare.request, bare.headers));
  }
  const summary = (rounds) => ({
    rps: median(rounds.map((x) => x.rps)),
    cpuUs: median(rounds.map((x) => x.cpuUs)),
    serverBusy: median(rounds.map((x) => x.serverBusy)),
    genBusy: median(rounds.map((x) => x.genBusy)),
    spread: [Math.min(...rounds.map((x) => x.rps)), Math.max(...rounds.map((x) => x.rps))],
  });
  const a = summary(results.app);
  const b = summary(results.bare);
  return { name, target, app: a, bare: b, ratio: a.rps / b.rps, cpuRatio: b.cpuUs / a.cpuUs };
}

/** A bare baseline server process (scripts/bench/bare-server.mjs <mode>). */
async function startBare(mode, dbUrl) {
  const bare = await startBenchChild('bare-server.mjs', [mode], { BENCH_BARE_DATABASE_URL: dbUrl });
  return { ...bare, server: { pid: bare.pid, port: bare.ready.port } };
}

const call = (agent, port, method, path, { body, headers = {} } = {}) =>
  send({ agent, port, method, path, body, headers });

async function tokenFor(port, scope = 'orders:read orders:write') {
  const form = new URLSearchParams({
    grant_type: 'password',
    client_id: 'orderops-web',
    username: 'admin',
    password: PASSWORD,
    scope,
  }).toString();
  const res = await call(new Agent(), port, 'POST', '/oauth/token', {
    body: form,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': Buffer.byteLength(form),
    },
  });
  if (res.status !== 200) throw new Error(`token answered ${res.status}`);
  return JSON.parse(res.body).access_token;
}

/** `count` orders with customers through the API's POST /orders (not measured); their ids. */
async function seedOrders(port, auth, count) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const ids = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < count) {
        const i = next++;
        const body = JSON.stringify({
          currency: 'EUR',
          customer: { name: `Bench Person ${i}`, email: `bench.${i}@example.com`, phone: '+31 20 123 4567' },
          items: [
            { product: 'Laptop', unitPrice: '999.99', quantity: 1 },
            { product: 'Mouse', unitPrice: '24.99', quantity: 2 },
          ],
        });
        const res = await call(agent, port, 'POST', '/orders', {
          body,
          headers: { ...auth, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        });
        if (res.status !== 201) throw new Error(`seeding answered ${res.status}`);
        ids.push(JSON.parse(res.body).id);
      }
    }),
  );
  agent.destroy();
  return ids;
}

const dbName = `orderops_bench_${process.pid}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(dbName)}`);
const dbUrl = new URL(adminUrl);
dbUrl.pathname = `/${dbName}`;

const dataDir = mkdtempSync(join(tmpdir(), 'orderops-bench-'));
// Like for like: the API's Node sizes its heap itself, as the baselines' does;
// BENCH_IMAGE_HEAP=1 runs it with the container image's heap caps instead.
const { child: api, port: apiPort } = await startBuiltApi(
  { ORDEROPS_DATA_DIR: dataDir, DATABASE_URL: dbUrl.toString() },
  { imageHeap },
);
const appServer = { pid: api.pid, port: apiPort };
const children = [];
const results = [];
const peaks = [];
let chainChecked;

try {
  const loadgen = await startBenchChild('load-generator.mjs');
  children.push(loadgen);
  const auth = { authorization: `Bearer ${await tokenFor(apiPort)}` };

  if (runs('B1')) {
    const bare = await startBare('health');
    children.push(bare);
    const health = { request: { kind: 'get', path: '/health/live' }, headers: {} };
    results.push(
      await compare(
        'B1 GET /health/live',
        0.5,
        loadgen,
        { server: appServer, ...health },
        { ...bare, ...health },
      ),
    );
    peaks.push(['B1 bare', peakRssMiBOf(bare.pid)]);
    await bare.stop();
  }

  if (runs('B2') && ORDERS > 0) {
    out(`Seeding ${ORDERS} orders with customers through POST /orders...`);
    const ids = await seedOrders(apiPort, auth, ORDERS);
    const bare = await startBare('order-read', dbUrl.toString());
    children.push(bare);
    const read = { kind: 'get-random', prefix: '/orders/', ids };
    results.push(
      await compare(
        'B2 GET /orders/:id',
        0.75,
        loadgen,
        { server: appServer, request: read, headers: auth },
        { ...bare, request: read, headers: {} },
      ),
    );
    peaks.push(['B2 bare', peakRssMiBOf(bare.pid)]);
    await bare.stop();
  }

  if (runs('B3')) {
    const bare = await startBare('order-create', dbUrl.toString());
    children.push(bare);
    const create = { kind: 'create-order' };
    results.push(
      await compare(
        'B3 POST /orders',
        0.5,
        loadgen,
        { server: appServer, request: create, headers: auth },
        { ...bare, request: create, headers: {} },
      ),
    );
    peaks.push(['B3 bare', peakRssMiBOf(bare.pid)]);
    await bare.stop();
    // Both sides appended to one audit chain: the API's verification proves the baseline
    // wrote real, correctly chained events (its work was the app's, not a shortcut).
    const verify = await call(new Agent(), apiPort, 'GET', '/audit/verify', {
      headers: { authorization: `Bearer ${await tokenFor(apiPort, 'audit:read')}` },
    });
    const report = JSON.parse(verify.body);
    if (verify.status !== 200 || report.valid !== true) throw new Error(`audit chain broken: ${verify.body}`);
    chainChecked = report.checked;
  }
  peaks.unshift(['API', peakRssMiBOf(api.pid)]);

  const flags = apiNodeFlags(imageHeap).join(' ');
  out(
    `\n${ROUNDS} alternating rounds of ${ROUND_MS} ms (after a warm-up round each), ${CONNECTIONS} keep-alive ` +
      `connections from a load generator process; medians. Load average at the end: ` +
      `${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  out(
    `API heap: ${imageHeap ? "the image's caps" : "Node's own sizing, as the baselines'"}` +
      `${flags ? ` (${flags})` : ''}; baselines: Node's own sizing`,
  );
  out(
    `${'benchmark'.padEnd(22)} ${'app req/s'.padStart(10)} ${'bare req/s'.padStart(10)} ${'ratio'.padStart(6)}  ` +
      `${'app CPU/req'.padStart(11)} ${'bare CPU/req'.padStart(12)} ${'bare/app'.padStart(8)}  target`,
  );
  for (const r of results) {
    out(
      `${r.name.padEnd(22)} ${r.app.rps.toFixed(0).padStart(10)} ${r.bare.rps.toFixed(0).padStart(10)} ` +
        `${r.ratio.toFixed(2).padStart(5)}x  ${`${r.app.cpuUs.toFixed(0)} us`.padStart(11)} ` +
        `${`${r.bare.cpuUs.toFixed(0)} us`.padStart(12)} ${r.cpuRatio.toFixed(2).padStart(7)}x  ` +
        `>= ${r.target}x ${r.ratio >= r.target ? 'OK' : 'BELOW'}`,
    );
  }
  out('\nper side, medians: req/s range over the rounds; cores busy in the server and in the load generator');
  for (const r of results) {
    for (const [side, s] of [
      ['app', r.app],
      ['bare', r.bare],
    ]) {
      out(
        `${`${r.name.slice(0, 2)} ${side}`.padEnd(8)} ${s.spread[0].toFixed(0)}-${s.spread[1].toFixed(0)} req/s, ` +
          `server ${s.serverBusy.toFixed(2)} cores, load generator ${s.genBusy.toFixed(2)} cores`,
      );
    }
  }
  if (chainChecked !== undefined) out(`audit chain after B3: valid, ${chainChecked} events checked`);
  out(`peak RSS: ${peaks.map(([who, mib]) => `${who} ${mib?.toFixed(0) ?? '?'} MiB`).join(', ')}`);
} finally {
  for (const c of children) if (c.child.exitCode === null) await c.stop();
  api.kill('SIGTERM');
  await new Promise((r) => (api.exitCode === null ? api.once('exit', r) : r()));
  await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(dbName)} WITH (FORCE)`);
  await admin.end();
  rmSync(dataDir, { recursive: true, force: true });
}
