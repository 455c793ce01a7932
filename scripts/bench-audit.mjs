// npm run bench:audit — does the audit trail cap the service? (issue 16, "Tests and benchmark")
// On a scratch database of a real PostgreSQL it runs, each in a process of its own: three
// replicas of the built API (one data directory: the same keys), a writer process holding
// the built app's AuditService in a Nest application context (scripts/bench/audit-writers.mjs),
// node-oidc-provider as the token yardstick (scripts/bench/oidc-baseline.mjs), and the load
// generator of `npm run bench`. It measures, in alternating rounds after a warm-up round each
// (medians; CPU per operation from /proc of every OrderOps process, user + system):
//  A. 50 concurrent writers: client_credentials grants through replica 1 (one audited
//     auth.token.issued event each: audit appends/s through the API, and tokens/s), the same
//     grants against node-oidc-provider (RS256 JWTs, in-memory store: tokens/s side by side),
//     and 50 concurrent AuditService.recordAlone transactions in the writer process (audit
//     appends/s at the service, without HTTP or the grant's own work);
//  B. validated POST /orders (a new customer with encrypted fields, an Idempotency-Key, 2
//     items: B3 of bench.mjs) through 1 replica and spread over 3 replicas, same connections;
//  C. the sequencing lag p99, from the histogram orderops_audit_sequencing_lag_seconds on the
//     replicas' (and the writer's) metrics, over A and B: "n/a (no sequencer)" until the audit
//     code exposes it.
// Appended events are counted by the app itself (orderops_audit_appends_total on every
// process's metrics); the log is verified through GET /audit/verify at the end.
// Targets (issue 16, this machine): >= 4,000 appends/s; POST /orders >= 2.5x the rate
// measured before the audit rewrite (BEFORE below), and 3 replicas above 1; tokens >= 0.5x
// node-oidc-provider's; sequencing lag p99 <= 1 s. A benchmark: it reports, it never fails on
// a number (it exits non-zero when something breaks: a refused request, a broken log).
// Knobs: BENCH_ROUNDS (5), BENCH_ROUND_MS (3000), BENCH_WRITERS (50), BENCH_ORDER_CONNECTIONS
// (48), BENCH_ONLY ("A", "B" or "A,B"), BENCH_WAIT_LOAD (e.g. 0.7: wait, at most 10 minutes,
// until the 1-minute load average is below it before starting), BENCH_SERVER_LOG=1.
// Database: BENCH_DATABASE_URL (a PostgreSQL whose role may CREATE DATABASE; default
// postgres://postgres@127.0.0.1:5432/postgres). Each run creates orderops_bench_audit_<pid>
// and drops it, with its temporary data directory (the development master keys), at the end,
// on a failure or on Ctrl-C; databases of earlier runs that were killed outright are dropped
// at the start. (A fresh data directory on a reused database was why a second run used to
// fail: the signing keys stored by the first were sealed under keys that no longer existed.)
import { Buffer } from 'node:buffer';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { URLSearchParams } from 'node:url';
import pg from 'pg';
import {
  cpuSecondsOf,
  exitCleanup,
  send,
  startBenchChild,
  startBuiltApi,
  stopAtExit,
} from './bench-support.mjs';
import { buckets, samples, quantile, sumOf } from './bench/prometheus.mjs';
import { median, out, scratchDatabase, startLoadGenerator, tokenFor } from './bench/rounds.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 3000);
const WRITERS = Number(process.env.BENCH_WRITERS ?? 50);
const ORDER_CONNECTIONS = Number(process.env.BENCH_ORDER_CONNECTIONS ?? 48);
const REPLICAS = 3;
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim().toUpperCase());
const runs = (part) => ONLY === undefined || ONLY.includes(part);
const WAIT_LOAD = process.env.BENCH_WAIT_LOAD === undefined ? undefined : Number(process.env.BENCH_WAIT_LOAD);

/**
 * The "before" figures: this script's medians at commit 31e0dc7 (chained audit, one lock on
 * audit_chain_head), on this machine at a 1-minute load average below 0.7. POST /orders' target is
 * 2.5x its figure here.
 */
const BEFORE = { ordersPerSecond: Number(process.env.BENCH_ORDERS_BEFORE ?? 420) };
const TARGETS = { appends: 4000, ordersFactor: 2.5, tokensRatio: 0.5, lagP99Seconds: 1 };
const LAG_METRIC = 'orderops_audit_sequencing_lag_seconds';
const APPENDS_METRIC = 'orderops_audit_appends_total';

const loadNow = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const cleanup = exitCleanup();
const failures = [];

async function waitForQuietMachine() {
  if (WAIT_LOAD === undefined) return;
  const until = Date.now() + 10 * 60_000;
  while (loadavg()[0] >= WAIT_LOAD && Date.now() < until) {
    out(`load average ${loadNow()}: waiting for the 1-minute figure to fall below ${WAIT_LOAD}...`);
    await sleep(15_000);
  }
}

const scrape = async (metricsPort) => {
  const res = await send({ port: metricsPort, path: '/metrics' });
  if (res.status !== 200) throw new Error(`metrics answered ${res.status}`);
  return res.body;
};

async function main() {
  await waitForQuietMachine();
  const loadAtStart = loadNow();
  const db = await scratchDatabase(
    pg,
    process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    { prefix: 'orderops_bench_audit', sweep: true },
  );
  cleanup.add(() => db.drop());
  for (const entry of readdirSync(tmpdir())) {
    const pid = Number(/^orderops-bench-audit-(\d+)-/.exec(entry)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (error) {
      if (error.code === 'ESRCH') rmSync(join(tmpdir(), entry), { recursive: true, force: true });
    }
  }
  const dataDir = mkdtempSync(join(tmpdir(), `orderops-bench-audit-${process.pid}-`));
  cleanup.addSync(() => rmSync(dataDir, { recursive: true, force: true }));

  const stopOnExit = (child) => stopAtExit(cleanup, child);
  // One issuer for all replicas, as behind a load balancer (by default each names its own
  // port, and refuses the others' tokens).
  const env = { ORDEROPS_DATA_DIR: dataDir, DATABASE_URL: db.url, ORDEROPS_ISSUER: 'http://127.0.0.1' };
  // The first replica migrates the database and writes the keys; the others start on them.
  const apis = [await startBuiltApi(env, { exitWithParent: true })];
  stopOnExit(apis[0].child);
  const others = await Promise.allSettled(
    Array.from({ length: REPLICAS - 1 }, () => startBuiltApi(env, { exitWithParent: true })),
  );
  for (const started of others) {
    if (started.status === 'fulfilled') {
      apis.push(started.value);
      stopOnExit(started.value.child);
    }
  }
  for (const started of others) if (started.status === 'rejected') throw started.reason;
  const writer = await startBenchChild('audit-writers.mjs', [], {
    ...env,
    LOG_LEVEL: 'warn',
    DATABASE_POOL_SIZE: String(WRITERS),
  });
  stopOnExit(writer.child);
  const oidc = await startBenchChild('oidc-baseline.mjs', [], { NODE_ENV: 'production' });
  stopOnExit(oidc.child);
  const loadgen = await startLoadGenerator();
  stopOnExit(loadgen.child);

  const orderOpsPids = [...apis.map((a) => a.child.pid), writer.pid];
  const scrapeAll = async () => [
    ...(await Promise.all(apis.map((a) => scrape(a.metricsPort)))),
    (await writer.ask({ metrics: true })).metrics,
  ];
  const cpuOf = (pids) => pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);

  // A client of the API's own for the grants, as an administrator would register one.
  const adminToken = await tokenFor(apis[0].port, 'admin');
  const clientBody = JSON.stringify({ name: 'Audit bench', scopes: ['orders:read'] });
  const created = await send({
    port: apis[0].port,
    method: 'POST',
    path: '/admin/clients',
    body: clientBody,
    headers: {
      authorization: `Bearer ${adminToken}`,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(clientBody),
    },
  });
  if (created.status !== 201) throw new Error(`POST /admin/clients answered ${created.status}`);
  const client = JSON.parse(created.body);
  const grant = (id, secret) => ({
    'content-type': 'application/x-www-form-urlencoded',
    authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
  });
  const grantBody = new URLSearchParams({ grant_type: 'client_credentials' }).toString();

  /** A side driven by the load generator. */
  const viaLoadgen = (label, run, pids) => ({
    label,
    pids,
    drive: async () => {
      const answer = await loadgen.ask({ run: { ms: ROUND_MS, spreadAddresses: true, ...run } });
      if (answer.failed) throw new Error(`${label}: load generator: ${answer.failed}`);
      return answer.done;
    },
  });

  /**
   * One round of `side`: operations/s, CPU microseconds per operation of its processes, and
   * the audit events the app counted meanwhile (when `side.counts`) — all OrderOps processes.
   */
  async function round(side, lag) {
    const texts = side.counts ? await scrapeAll() : undefined;
    const cpuBefore = cpuOf(side.pids);
    const genBefore = cpuSecondsOf(loadgen.pid);
    const { count, elapsedMs } = await side.drive();
    const cpu = cpuOf(side.pids) - cpuBefore;
    const seconds = elapsedMs / 1000;
    const result = {
      ops: count / seconds,
      cpuUs: (cpu / count) * 1e6,
      busy: cpu / seconds,
      genBusy: (cpuSecondsOf(loadgen.pid) - genBefore) / seconds,
    };
    if (texts) {
      const after = await scrapeAll();
      const appended = (sumOf(after, APPENDS_METRIC) ?? NaN) - (sumOf(texts, APPENDS_METRIC) ?? NaN);
      result.appends = appended / seconds;
      lag?.sample(after);
    }
    return result;
  }

  /** Warm-up rounds, then `ROUNDS` alternating rounds of every side; per side the medians. */
  async function alternate(sides, lag) {
    for (const side of sides) await round(side);
    const results = sides.map(() => []);
    for (let r = 0; r < ROUNDS; r++) {
      for (const [i, side] of sides.entries()) results[i].push(await round(side, lag));
    }
    return sides.map((side, i) => {
      const rs = results[i];
      const med = (key) => median(rs.map((x) => x[key]));
      return {
        label: side.label,
        ops: med('ops'),
        cpuUs: med('cpuUs'),
        busy: med('busy'),
        genBusy: med('genBusy'),
        appends: side.counts ? med('appends') : undefined,
        spread: [Math.min(...rs.map((x) => x.ops)), Math.max(...rs.map((x) => x.ops))],
      };
    });
  }

  // The sequencing lag: the histogram's buckets across the measured rounds, or a gauge's
  // highest value at the rounds' ends, whichever the audit code exposes.
  const lag = {
    first: undefined,
    last: undefined,
    gaugeMax: undefined,
    sample(texts) {
      this.last = texts;
      const gauge = sumOf(texts, LAG_METRIC);
      if (gauge !== undefined) {
        const highest = Math.max(...texts.flatMap((t) => samples(t, LAG_METRIC).map((s) => s.value)));
        this.gaugeMax = Math.max(this.gaugeMax ?? 0, highest);
      }
    },
  };

  lag.first = await scrapeAll();
  const partA = [];
  if (runs('A')) {
    partA.push(
      ...(await alternate(
        [
          {
            ...viaLoadgen(
              'OrderOps grants',
              {
                port: apis[0].port,
                connections: WRITERS,
                request: { kind: 'post', path: '/oauth/token', body: grantBody },
                headers: grant(client.clientId, client.clientSecret),
              },
              orderOpsPids,
            ),
            counts: true,
          },
          viaLoadgen(
            'oidc-provider grants',
            {
              port: oidc.ready.port,
              connections: WRITERS,
              request: { kind: 'post', path: oidc.ready.tokenPath, body: grantBody },
              headers: grant(oidc.ready.clientId, oidc.ready.clientSecret),
            },
            [oidc.pid],
          ),
          // Only while the service still offers recordAlone (the writer process says).
          ...(writer.ready.recordAlone
            ? [
                {
                  label: 'AuditService',
                  pids: orderOpsPids,
                  counts: true,
                  drive: async () => {
                    const answer = await writer.ask({ run: { ms: ROUND_MS, writers: WRITERS } });
                    if (answer.failed) throw new Error(`audit writers: ${answer.failed}`);
                    return answer.done;
                  },
                },
              ]
            : []),
        ],
        lag,
      )),
    );
  }
  const partB = [];
  if (runs('B')) {
    const ordersToken = await tokenFor(apis[0].port, 'orders:read orders:write');
    const orders = (label, ports) => ({
      ...viaLoadgen(
        label,
        {
          ports,
          connections: ORDER_CONNECTIONS,
          request: { kind: 'create-order' },
          headers: { authorization: `Bearer ${ordersToken}` },
        },
        orderOpsPids,
      ),
      counts: true,
    });
    partB.push(
      ...(await alternate(
        [
          orders('1 replica', [apis[0].port]),
          orders(
            `${REPLICAS} replicas`,
            apis.map((a) => a.port),
          ),
        ],
        lag,
      )),
    );
  }

  // The log after the run, as an auditor's tool would see it.
  const auditToken = await tokenFor(apis[0].port, 'audit:read');
  const verified = await send({
    port: apis[0].port,
    path: '/audit/verify',
    headers: { authorization: `Bearer ${auditToken}` },
    agent: new Agent(),
  });
  const loadAtEnd = loadNow();

  report({ partA, partB, verified, lag, loadAtStart, loadAtEnd });
}

function report({ partA, partB, verified, lag, loadAtStart, loadAtEnd }) {
  const rate = (v) => (v === undefined || Number.isNaN(v) ? 'n/a' : v.toFixed(0));
  const us = (v) => (Number.isFinite(v) ? `${v.toFixed(0)} us` : 'n/a');
  const verdict = (ok) => (ok ? 'OK' : 'BELOW');
  const rows = [];
  const row = (figure, ops, cpu, target) => rows.push([figure, ops, cpu, target]);
  const [grants, oidc, service] = partA;
  if (grants) {
    row(
      `audit appends/s, API: ${WRITERS} concurrent client_credentials grants, pool of 10`,
      rate(grants.appends),
      us((grants.cpuUs * grants.ops) / grants.appends),
      `>= ${TARGETS.appends}/s ${verdict(grants.appends >= TARGETS.appends)}`,
    );
    if (service) {
      row(
        `audit appends/s, AuditService: ${WRITERS} concurrent recordAlone transactions, ${WRITERS} connections`,
        rate(service.appends),
        us((service.cpuUs * service.ops) / service.appends),
        `>= ${TARGETS.appends}/s ${verdict(service.appends >= TARGETS.appends)}`,
      );
    } else {
      row(`audit appends/s, AuditService: n/a (AuditService.recordAlone is gone)`, 'n/a', '-', '');
    }
  }
  const [one, three] = partB;
  if (one) {
    const target = TARGETS.ordersFactor * BEFORE.ordersPerSecond;
    row(
      `POST /orders/s, 1 replica (${ORDER_CONNECTIONS} connections)`,
      rate(one.ops),
      us(one.cpuUs),
      `>= ${TARGETS.ordersFactor}x ${BEFORE.ordersPerSecond} = ${target}/s ${verdict(one.ops >= target)}`,
    );
    row(
      `POST /orders/s, ${REPLICAS} replicas (${ORDER_CONNECTIONS} connections spread)`,
      rate(three.ops),
      us(three.cpuUs),
      `>= ${target}/s ${verdict(three.ops >= target)}; ${(three.ops / one.ops).toFixed(2)}x 1 replica, ` +
        `must be > 1x ${verdict(three.ops > one.ops)}`,
    );
  }
  if (grants) {
    row(`client_credentials tokens/s, OrderOps (ES256)`, rate(grants.ops), us(grants.cpuUs), '');
    row(
      `client_credentials tokens/s, node-oidc-provider 9.13.3 (RS256, in-memory)`,
      rate(oidc.ops),
      us(oidc.cpuUs),
      `OrderOps ${(grants.ops / oidc.ops).toFixed(2)}x, >= ${TARGETS.tokensRatio}x ` +
        verdict(grants.ops / oidc.ops >= TARGETS.tokensRatio),
    );
  }
  let lagText = 'n/a (no sequencer)';
  const after = lag.last && buckets(lag.last, LAG_METRIC);
  if (after) {
    const q = quantile(0.99, buckets(lag.first, LAG_METRIC), after);
    if (q.observations === 0) lagText = 'n/a (histogram present, no observations)';
    else if (q.above) lagText = `> ${q.seconds} s (above the last bucket; ${q.observations} observations)`;
    else
      lagText = `${q.seconds.toFixed(3)} s (bucket <= ${q.bucket} s; ${q.observations} observations) ${verdict(q.seconds <= TARGETS.lagP99Seconds)}`;
  } else if (lag.gaugeMax !== undefined) {
    lagText = `max ${lag.gaugeMax.toFixed(3)} s at the rounds' ends (a gauge: no p99) ${verdict(lag.gaugeMax <= TARGETS.lagP99Seconds)}`;
  }

  out(
    `\nbench:audit on PostgreSQL: ${ROUNDS} alternating rounds of ${ROUND_MS} ms per figure after a ` +
      `warm-up round each; medians. Load average (1, 5, 15 min) at the start ${loadAtStart}, at the end ${loadAtEnd}.`,
  );
  const width = Math.max(...rows.map((r) => r[0].length));
  out(`${'figure'.padEnd(width)} ${'ops/s'.padStart(7)} ${'CPU/op'.padStart(9)}  target`);
  for (const [figure, ops, cpu, target] of rows)
    out(`${figure.padEnd(width)} ${ops.padStart(7)} ${cpu.padStart(9)}  ${target}`);
  out(
    `${`sequencing lag p99 (${LAG_METRIC})`.padEnd(width)} ${''.padStart(7)} ${''.padStart(9)}  ` +
      `${lagText}; target <= ${TARGETS.lagP99Seconds} s`,
  );
  out(
    '\nCPU/op: user + system time of all OrderOps processes (the API replicas and the writer ' +
      'process) per operation (per appended event for the appends rows); of its own process for ' +
      'node-oidc-provider. Appends: events counted by the app (orderops_audit_appends_total). ' +
      'The API appends and OrderOps tokens rows are the same rounds.',
  );
  out(
    'per side: ops/s of the slowest and fastest round; medians of cores busy (its processes, load generator)',
  );
  for (const s of [...partA, ...partB]) {
    out(
      `  ${s.label.padEnd(22)} ${s.spread[0].toFixed(0)}-${s.spread[1].toFixed(0)} ops/s, ` +
        `${s.busy.toFixed(2)} cores, load generator ${s.label === 'AuditService' ? '-' : s.genBusy.toFixed(2)}`,
    );
  }
  if (verified.status !== 200) {
    out(`audit log after the run: GET /audit/verify answered ${verified.status}`);
    failures.push('audit verification unavailable');
  } else {
    const v = JSON.parse(verified.body);
    out(
      `audit log after the run: ${v.valid ? 'valid' : `BROKEN at ${JSON.stringify(v.brokenAt)}`} (${v.checked} events checked)`,
    );
    if (!v.valid) failures.push('audit log broken');
  }
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench:audit failed: ${error.stack ?? error.message}\n`);
  failures.push(error.message);
} finally {
  await cleanup.run();
}
if (failures.length > 0) process.exitCode = 1;
