// npm run bench:import — how fast does a large order file go in, and at what memory cost?
// Generates a 100,000-row file with customer columns (~11 MB), boots the built API on a scratch
// PostgreSQL database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres;
// the scratch database is created and dropped here), imports the file through
// POST /orders/imports while sampling the API's RSS, then loads the same bytes with plain
// COPY (psql, into a scratch table) as the ceiling, and the rows the import stored with COPY
// into clones of the real tables as the floor of any import (median of three runs each).
// Prints rows/s, the ratio to the floor (target >= 0.5x, issue 12 §9), the ratio to plain COPY
// (for reference) and the API's peak RSS growth (target < 100 MiB).
// A benchmark, not a test: it reports, it does not fail on a number.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { setInterval, clearInterval } from 'node:timers';
import { URL, URLSearchParams } from 'node:url';
import { BENCH_PASSWORD as PASSWORD, IMAGE_NODE_OPTIONS, send, startBuiltApi } from './bench-support.mjs';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const MiB = 1024 * 1024;
const baseUrl = new URL(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const scratch = `orderops_bench_${randomBytes(4).toString('hex')}`;

const HEADER = 'product,price,quantity,currency,customer_name,customer_email,customer_phone,order_ref';
/** Four rows per customer, every row its own order (the shape test/support/import-files.ts makes). */
function row(i) {
  const c = Math.floor(i / 4);
  const cents = 100 + ((i * 7919) % 99_900);
  return [
    `Product ${i % 5000} deluxe edition`,
    `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
    String(1 + (i % 9)),
    i % 3 === 0 ? 'USD' : 'EUR',
    `Customer ${c} Testperson`,
    `customer.${c}@volume.example`,
    `+31 20 ${String(1_000_000 + (c % 9_000_000)).slice(0, 3)} ${String(c % 10_000).padStart(4, '0')}`,
    '',
  ].join(',');
}

/** psql with an argument array (never a shell); `input` is piped to stdin. */
function psql(database, args, input) {
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  return new Promise((resolve, reject) => {
    const child = execFile(
      'psql',
      [url.toString(), '-v', 'ON_ERROR_STOP=1', '-q', ...args],
      (error, stdout, stderr) =>
        error ? reject(new Error(`psql failed: ${stderr || error.message}`)) : resolve(stdout),
    );
    if (input) createReadStream(input).pipe(child.stdin);
    else child.stdin.end();
  });
}

/** Median wall time of three runs of `run`, each after `reset`. */
async function medianSeconds(reset, run) {
  const times = [];
  for (let i = 0; i < 3; i++) {
    await reset();
    const started = process.hrtime.bigint();
    await run();
    times.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  return times.sort((a, b) => a - b)[1];
}

const call = (port, method, path, headers, body) => send({ port, method, path, headers, body });

const rss = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;

const dir = mkdtempSync(join(tmpdir(), 'orderops-bench-import-'));
const file = join(dir, 'orders.csv');
const warmFile = join(dir, 'warm.csv');
writeFileSync(file, `${[HEADER, ...Array.from({ length: ROWS }, (_, i) => row(i))].join('\n')}\n`);
writeFileSync(warmFile, `${[HEADER, ...Array.from({ length: 2000 }, (_, i) => row(ROWS + i))].join('\n')}\n`);
const size = statSync(file).size;

await psql(baseUrl.pathname.slice(1) || 'postgres', ['-c', `CREATE DATABASE "${scratch}"`]);
const databaseUrl = new URL(baseUrl);
databaseUrl.pathname = `/${scratch}`;
const { child: api, port } = await startBuiltApi(
  {
    ORDEROPS_DATA_DIR: dir,
    DATABASE_URL: databaseUrl.toString(),
  },
  { imageHeap: true },
);

try {
  const grant = new URLSearchParams({
    grant_type: 'password',
    client_id: 'orderops-web',
    username: 'admin',
    password: PASSWORD,
    scope: 'orders:import',
  }).toString();
  const token = JSON.parse(
    (await call(port, 'POST', '/oauth/token', { 'content-type': 'application/x-www-form-urlencoded' }, grant))
      .body,
  ).access_token;
  const upload = (path) =>
    call(
      port,
      'POST',
      '/orders/imports',
      { authorization: `Bearer ${token}`, 'content-type': 'text/csv', 'content-length': statSync(path).size },
      createReadStream(path),
    );

  // Warm-up: JIT, pool connections, the import path once.
  const warm = await upload(warmFile);
  if (warm.status !== 201) throw new Error(`warm-up import answered ${warm.status}: ${warm.body}`);
  const baseline = rss(api.pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rss(api.pid))), 20);
  const started = process.hrtime.bigint();
  const res = await upload(file);
  const appSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  peak = Math.max(peak, rss(api.pid));
  if (res.status !== 201) throw new Error(`import answered ${res.status}: ${res.body}`);
  const report = JSON.parse(res.body);

  await psql(scratch, [
    '-c',
    'CREATE TABLE copy_ceiling (product varchar(200), price numeric(9,2), quantity integer, currency char(3), ' +
      'customer_name text, customer_email text, customer_phone text, order_ref text)',
  ]);
  const copySeconds = await medianSeconds(
    () => psql(scratch, ['-c', 'TRUNCATE copy_ceiling']),
    () => psql(scratch, ['-c', '\\copy copy_ceiling FROM STDIN WITH (FORMAT csv, HEADER true)'], file),
  );

  // The floor of any import into this schema: the rows the import stored (customers,
  // orders, items), loaded with COPY into clones of the real tables (same columns,
  // defaults, keys and indexes, and the items' foreign key), with no parsing, validation,
  // encryption or HTTP at all. Scaled to the file's rows (the warm-up's rows are in it).
  const tables = ['customers', 'orders', 'order_items'];
  await psql(scratch, [
    '-c',
    tables.map((t) => `CREATE TABLE "floor_${t}" (LIKE "${t}" INCLUDING ALL);`).join(' ') +
      ' ALTER TABLE "floor_order_items" ADD FOREIGN KEY ("order_id") REFERENCES "floor_orders" ("id");',
    ...tables.flatMap((t) => ['-c', `\\copy "${t}" TO '${join(dir, `${t}.copy`)}'`]),
  ]);
  const storedOrders = Number(await psql(scratch, ['-At', '-c', 'SELECT count(*) FROM "orders"']));
  const floorSeconds =
    ((await medianSeconds(
      () => psql(scratch, ['-c', 'TRUNCATE "floor_order_items", "floor_orders", "floor_customers"']),
      () =>
        psql(
          scratch,
          tables.flatMap((t) => ['-c', `\\copy "floor_${t}" FROM '${join(dir, `${t}.copy`)}'`]),
        ),
    )) *
      ROWS) /
    storedOrders;

  const appRate = ROWS / appSeconds;
  const copyRate = ROWS / copySeconds;
  const floorRate = ROWS / floorSeconds;
  const floorRatio = appRate / floorRate;
  const growth = (peak - baseline) / MiB;
  process.stdout.write(
    `file: ${ROWS} rows, ${(size / MiB).toFixed(1)} MiB, ${report.orders} orders imported\n`,
  );
  process.stdout.write(
    `API import: ${appSeconds.toFixed(2)} s, ${Math.round(appRate)} rows/s ` +
      `(Node options: ${[IMAGE_NODE_OPTIONS, process.env.BENCH_NODE_OPTIONS ?? ''].join(' ').trim()})\n`,
  );
  process.stdout.write(
    `plain COPY (psql, scratch table): ${copySeconds.toFixed(2)} s, ${Math.round(copyRate)} rows/s\n`,
  );
  process.stdout.write(
    `floor: the stored rows COPYed into clones of the real tables: ${floorSeconds.toFixed(2)} s, ` +
      `${Math.round(floorRate)} rows/s, so no import into this schema exceeds ` +
      `${(copySeconds / floorSeconds).toFixed(3)}x\n`,
  );
  process.stdout.write(
    `ratio API/floor: ${floorRatio.toFixed(3)}x (target >= 0.5x) ${floorRatio >= 0.5 ? 'OK' : 'UNDER TARGET'}; ` +
      `API/plain COPY: ${(appRate / copyRate).toFixed(3)}x\n`,
  );
  process.stdout.write(
    `API peak RSS growth: ${growth.toFixed(1)} MiB over ${(baseline / MiB).toFixed(0)} MiB (target < 100 MiB) ${growth < 100 ? 'OK' : 'OVER TARGET'}\n`,
  );
} finally {
  api.kill('SIGTERM');
  await new Promise((r) => api.once('exit', r));
  await psql(baseUrl.pathname.slice(1) || 'postgres', [
    '-c',
    `DROP DATABASE IF EXISTS "${scratch}" WITH (FORCE)`,
  ]).catch((error) => process.stderr.write(`could not drop ${scratch}: ${error.message}\n`));
  rmSync(dir, { recursive: true, force: true });
}
