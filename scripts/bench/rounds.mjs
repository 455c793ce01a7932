// Rounds of load shared by bench.mjs and bench-heap.mjs: servers are processes (a pid and a
// port), the load generator is a process too; these functions only send it work, read the
// servers' CPU counters around each round, and summarise.
import { Buffer } from 'node:buffer';
import { Agent } from 'node:http';
import process from 'node:process';
import { URL, URLSearchParams } from 'node:url';
import { BENCH_PASSWORD, cpuSecondsOf, send, startBenchChild } from '../bench-support.mjs';

export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
export const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 2000);
export const CONNECTIONS = 16;
/** Orders seeded for B2 (BENCH_ORDERS; 0 skips B2). */
export const ORDERS = Number(process.env.BENCH_ORDERS ?? 10_000);
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim().toUpperCase());
/** Whether benchmark `name` (B1, B2, B3) runs: all of them unless BENCH_ONLY names some. */
export const runs = (name) => ONLY === undefined || ONLY.includes(name);
export const out = (line) => process.stdout.write(`${line}\n`);

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * One round of closed-loop load on `side.server` from the load generator: requests/s over
 * the round, the server's CPU microseconds per request (utime + stime deltas of its
 * process), and how busy the server and the load generator were (cores).
 */
async function round(loadgen, { server, request, headers }) {
  const cpuBefore = cpuSecondsOf(server.pid);
  const genBefore = cpuSecondsOf(loadgen.pid);
  const answer = await loadgen.ask({
    run: { port: server.port, ms: ROUND_MS, connections: CONNECTIONS, request, headers },
  });
  if (answer.failed) throw new Error(`load generator: ${answer.failed}`);
  const { count, elapsedMs } = answer.done;
  const cpu = cpuSecondsOf(server.pid) - cpuBefore;
  return {
    count,
    rps: (count / elapsedMs) * 1000,
    cpuUs: (cpu / count) * 1e6,
    serverBusy: cpu / (elapsedMs / 1000),
    genBusy: (cpuSecondsOf(loadgen.pid) - genBefore) / (elapsedMs / 1000),
  };
}

const summary = (rounds) => ({
  rps: median(rounds.map((x) => x.rps)),
  cpuUs: median(rounds.map((x) => x.cpuUs)),
  serverBusy: median(rounds.map((x) => x.serverBusy)),
  genBusy: median(rounds.map((x) => x.genBusy)),
  spread: [Math.min(...rounds.map((x) => x.rps)), Math.max(...rounds.map((x) => x.rps))],
});

/**
 * Alternating rounds a, b, a, b... after one uncounted warm-up round each. `ratio` is a's
 * median requests/s over b's; `cpuRatio` b's median CPU per request over a's (both: a
 * against b, higher is better for a). `sentToA`: every request a answered, warm-up included.
 */
export async function compare(name, target, loadgen, a, b) {
  const warmUp = await round(loadgen, a);
  await round(loadgen, b);
  const rounds = { a: [], b: [] };
  for (let r = 0; r < ROUNDS; r++) {
    rounds.a.push(await round(loadgen, a));
    rounds.b.push(await round(loadgen, b));
  }
  const sa = summary(rounds.a);
  const sb = summary(rounds.b);
  const sentToA = rounds.a.reduce((sum, x) => sum + x.count, warmUp.count);
  return { name, target, a: sa, b: sb, ratio: sa.rps / sb.rps, cpuRatio: sb.cpuUs / sa.cpuUs, sentToA };
}

/** The results table: `labels` name the two sides (e.g. app / bare). */
export function printResults(results, [la, lb]) {
  const us = (v) => `${v.toFixed(0)} us`;
  out(
    `${'benchmark'.padEnd(20)} ${`${la} req/s`.padStart(11)} ${`${lb} req/s`.padStart(11)} ${'ratio'.padStart(6)}  ` +
      `${`${la} CPU/req`.padStart(12)} ${`${lb} CPU/req`.padStart(12)} ${`${lb}/${la}`.padStart(9)}  target`,
  );
  for (const r of results) {
    out(
      `${r.name.padEnd(20)} ${r.a.rps.toFixed(0).padStart(11)} ${r.b.rps.toFixed(0).padStart(11)} ` +
        `${r.ratio.toFixed(2).padStart(5)}x  ${us(r.a.cpuUs).padStart(12)} ${us(r.b.cpuUs).padStart(12)} ` +
        `${r.cpuRatio.toFixed(2).padStart(8)}x  >= ${r.target}x ${r.ratio >= r.target ? 'OK' : 'BELOW'}`,
    );
  }
  out(
    '\nper side: req/s of the slowest and fastest round; medians of cores busy in the server and the load generator',
  );
  for (const r of results) {
    for (const [label, s] of [
      [la, r.a],
      [lb, r.b],
    ]) {
      out(
        `${`${r.name.slice(0, 2)} ${label}`.padEnd(12)} ${s.spread[0].toFixed(0)}-${s.spread[1].toFixed(0)} req/s, ` +
          `server ${s.serverBusy.toFixed(2)} cores, load generator ${s.genBusy.toFixed(2)} cores`,
      );
    }
  }
}

export const startLoadGenerator = () => startBenchChild('load-generator.mjs');

/** A bare baseline server process (scripts/bench/bare-server.mjs <mode>). */
export async function startBare(mode, dbUrl) {
  const bare = await startBenchChild('bare-server.mjs', [mode], { BENCH_BARE_DATABASE_URL: dbUrl ?? '' });
  return { ...bare, server: { pid: bare.pid, port: bare.ready.port } };
}

const call = (agent, port, method, path, { body, headers = {} } = {}) =>
  send({ agent, port, method, path, body, headers });

/** A bearer token of the bench admin's from the API on `port`. */
export async function tokenFor(port, scope = 'orders:read orders:write') {
  const form = new URLSearchParams({
    grant_type: 'password',
    client_id: 'orderops-web',
    username: 'admin',
    password: BENCH_PASSWORD,
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

/**
 * `count` orders with customers through the API's POST /orders (not measured); their ids.
 * A fresh token every 1,000 orders: on a busy machine seeding can outlast one (10 minutes).
 */
export async function seedOrders(port, count) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const ids = [];
  let next = 0;
  let auth;
  let refreshing;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < count) {
        const i = next++;
        if (i % 1000 === 0)
          refreshing = tokenFor(port).then((token) => (auth = { authorization: `Bearer ${token}` }));
        if (auth === undefined || i % 1000 === 0) await refreshing;
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

/** The API's audit verification (every event on its chain, whoever appended it). */
export async function verifyAuditChain(port) {
  const res = await call(new Agent(), port, 'GET', '/audit/verify', {
    headers: { authorization: `Bearer ${await tokenFor(port, 'audit:read')}` },
  });
  const report = JSON.parse(res.body);
  if (res.status !== 200 || report.valid !== true) throw new Error(`audit chain broken: ${res.body}`);
  return report.checked;
}

/**
 * A scratch database `<prefix>_<pid>` on BENCH_DATABASE_URL's server: its URL, and `drop()`.
 * With `sweep`, first drops the `<prefix>_<pid>` databases of earlier runs whose process is
 * gone (killed before it could drop its own); one still in use is left alone (DROP without
 * FORCE refuses while anything is connected).
 */
export async function scratchDatabase(pg, adminUrl, { prefix = 'orderops_bench', sweep = false } = {}) {
  if (!prefix.includes('bench')) throw new Error('a scratch database name must contain "bench"');
  const dbName = `${prefix}_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  if (sweep) await dropLeftovers(admin, prefix);
  await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(dbName)}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  return {
    url: url.toString(),
    name: dbName,
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(dbName)} WITH (FORCE)`);
      await admin.end();
    },
  };
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
};

async function dropLeftovers(admin, prefix) {
  const pattern = new RegExp(`^${prefix}_(\\d+)$`);
  const { rows } = await admin.query('SELECT datname FROM pg_database');
  for (const { datname } of rows) {
    const pid = Number(pattern.exec(datname)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(datname)}`).then(
      () => process.stdout.write(`dropped ${datname}, left behind by an earlier run\n`),
      () => undefined,
    );
  }
}
