// npm run bench:observability — what metrics and tracing cost the API (issue 15 §4): three
// API processes on one scratch database, alike but for their observability: "plain" (metrics
// off, no tracing), "metrics" (Prometheus metrics on, as deployed) and "traced" (metrics off;
// every request traced, sampling ratio 1, exported over OTLP/HTTP to a sink in a process of
// its own). Under the load of B1 and B2 of bench.mjs from a load generator process, in
// alternating rounds, it prints each one's median requests/s and CPU per request against
// plain's. Targets: metrics cost at most 5% (>= 0.95x), tracing at most 15% (>= 0.85x).
// BENCH_ROUNDS, BENCH_ROUND_MS, BENCH_ORDERS, BENCH_ONLY and BENCH_DATABASE_URL as bench.mjs.
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { URLSearchParams } from 'node:url';
import pg from 'pg';
import { peakRssMiBOf, send, startBenchChild, startBuiltApi } from '../bench-support.mjs';
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

const db = await scratchDatabase(
  pg,
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
);
// One data directory: the APIs share the development keys, so each reads the others' rows.
const dataDir = mkdtempSync(join(tmpdir(), 'orderops-bench-observability-'));
const env = { ORDEROPS_DATA_DIR: dataDir, DATABASE_URL: db.url };
const apis = [];
const children = [];
try {
  const sink = await startBenchChild('otlp-sink.mjs');
  children.push(sink);
  // One after the other: the first migrates the database and writes the keys.
  const plainApi = await startBuiltApi({ ...env, METRICS_ENABLED: 'false' });
  apis.push(plainApi);
  const metricsApi = await startBuiltApi({ ...env, METRICS_ENABLED: 'true' });
  apis.push(metricsApi);
  const tracedApi = await startBuiltApi({
    ...env,
    METRICS_ENABLED: 'false',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.ready.port}`,
    OTEL_TRACES_SAMPLER: 'always_on',
  });
  apis.push(tracedApi);
  const [plain, metrics, traced] = apis.map(({ child, port }) => ({ pid: child.pid, port }));
  const loadgen = await startLoadGenerator();
  children.push(loadgen);
  // Each API checks the tokens it issued itself. Plain serves both comparisons, twice the load
  // of the others: each comparison reads as an operator of its own, so neither runs into the
  // per-principal rate limit (per operator and process) that the other has used up.
  const readers = ['bench-reader-metrics', 'bench-reader-traced'];
  const password = `bench-reader-${randomBytes(12).toString('hex')}`;
  const adminToken = await tokenFor(plain.port, 'admin');
  for (const username of readers) {
    const body = JSON.stringify({ username, password, scopes: ['orders:read'] });
    const res = await send({
      port: plain.port,
      method: 'POST',
      path: '/admin/operators',
      body,
      headers: {
        authorization: `Bearer ${adminToken}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      },
    });
    if (res.status !== 201) throw new Error(`creating ${username} answered ${res.status}`);
  }
  const bearer = async (api, username) => {
    const body = new URLSearchParams({
      grant_type: 'password',
      client_id: 'orderops-web',
      username,
      password,
      scope: 'orders:read',
    }).toString();
    const res = await send({
      port: api.port,
      method: 'POST',
      path: '/oauth/token',
      body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(body),
      },
    });
    if (res.status !== 200) throw new Error(`token for ${username} answered ${res.status}`);
    return { authorization: `Bearer ${JSON.parse(res.body).access_token}` };
  };
  const side = async (server, request, authed, reader) => ({
    server,
    request,
    headers: authed ? await bearer(server, reader) : {},
  });
  const results = { metrics: [], traced: [] };
  const against = async (name, request, authed) => {
    results.metrics.push(
      await compare(
        name,
        0.95,
        loadgen,
        await side(metrics, request, authed, readers[0]),
        await side(plain, request, authed, readers[0]),
      ),
    );
    const before = await sink.ask({ stats: true });
    const result = await compare(
      name,
      0.85,
      loadgen,
      await side(traced, request, authed, readers[1]),
      await side(plain, request, authed, readers[1]),
    );
    // The batch processor sends what is left of its queue within OTEL_BSP_SCHEDULE_DELAY (5 s).
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const after = await sink.ask({ stats: true });
    results.traced.push(result);
    spansPerRequest.push([name, (after.spans - before.spans) / result.sentToA]);
  };
  const spansPerRequest = [];
  if (runs('B1')) await against('B1 GET /health/live', { kind: 'get', path: '/health/live' }, false);
  if (runs('B2') && ORDERS > 0) {
    out(`Seeding ${ORDERS} orders with customers through POST /orders...`);
    const ids = await seedOrders(plain.port, ORDERS);
    await against('B2 GET /orders/:id', { kind: 'get-random', prefix: '/orders/', ids }, true);
  }
  out(
    `\n${ROUNDS} alternating rounds of ${ROUND_MS} ms (after a warm-up round each), ${CONNECTIONS} keep-alive ` +
      `connections from a load generator process; medians. Load average at the end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  out('\nmetrics on against plain (target: metrics cost at most 5%)');
  printResults(results.metrics, ['metrics', 'plain']);
  out('\ntraced (sampling ratio 1, OTLP/HTTP export) against plain (target: tracing costs at most 15%)');
  printResults(results.traced, ['traced', 'plain']);
  const received = await sink.ask({ stats: true });
  out(
    `\nOTLP sink: ${received.exports} exports, ${received.spans} spans, ` +
      `${(received.bytes / 1024 / 1024).toFixed(1)} MiB received`,
  );
  // What each traced figure measured: a route that makes no span costs tracing nothing but a
  // route-config lookup, so its ratio says nothing about the cost of a span.
  for (const [name, spans] of spansPerRequest) {
    out(
      `${name.slice(0, 2)} traced: ${spans.toFixed(2)} spans exported per request` +
        (spans < 0.01 ? ' (a route that makes no span: probes are not traced)' : ''),
    );
  }
  out(
    `peak RSS: ${[
      ['plain', plain],
      ['metrics', metrics],
      ['traced', traced],
    ]
      .map(([label, api]) => `${label} ${peakRssMiBOf(api.pid)?.toFixed(0) ?? '?'} MiB`)
      .join(', ')}`,
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
