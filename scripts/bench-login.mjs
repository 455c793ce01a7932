// npm run bench:login — does a login storm starve the rest of the service?
// Boots the built API on a throwaway embedded database, then measures GET /health/live
// latency twice, side by side in one run: quiet, and while 20 clients log in concurrently
// (argon2id password grants). Prints both p99s and their ratio (target: storm <= 3x quiet).
// A benchmark, not a test: it reports, it does not fail on a number.
import { Buffer } from 'node:buffer';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { URLSearchParams } from 'node:url';
import { BENCH_PASSWORD as PASSWORD, send, startBuiltApi } from './bench-support.mjs';

const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 8000);
const HEALTH_CONNECTIONS = 8;
const LOGIN_CLIENTS = 20;

const call = (agent, port, method, path, body, headers = {}) =>
  send({ agent, port, method, path, body, headers });

async function hammerHealth(port, until) {
  const agent = new Agent({ keepAlive: true, maxSockets: HEALTH_CONNECTIONS });
  const latencies = [];
  await Promise.all(
    Array.from({ length: HEALTH_CONNECTIONS }, async () => {
      while (Date.now() < until) {
        const { status, ms } = await call(agent, port, 'GET', '/health/live');
        if (status !== 200) throw new Error(`health answered ${status}`);
        latencies.push(ms);
      }
    }),
  );
  agent.destroy();
  return latencies;
}

async function loginStorm(port, until) {
  const agent = new Agent({ keepAlive: true, maxSockets: LOGIN_CLIENTS });
  const body = new URLSearchParams({
    grant_type: 'password',
    client_id: 'orderops-web',
    username: 'admin',
    password: PASSWORD,
  }).toString();
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    'content-length': Buffer.byteLength(body),
  };
  let logins = 0;
  await Promise.all(
    Array.from({ length: LOGIN_CLIENTS }, async () => {
      while (Date.now() < until) {
        const { status } = await call(agent, port, 'POST', '/oauth/token', body, headers);
        if (status !== 200) throw new Error(`login answered ${status}`);
        logins++;
      }
    }),
  );
  agent.destroy();
  return logins;
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const dataDir = mkdtempSync(join(tmpdir(), 'orderops-bench-'));
const { child: api, port } = await startBuiltApi({ ORDEROPS_DATA_DIR: dataDir });

try {
  // Warm-up: JIT, pool connections, the decoy hash.
  await hammerHealth(port, Date.now() + 1000);
  await loginStorm(port, Date.now() + 1000);

  const quiet = await hammerHealth(port, Date.now() + PHASE_MS);
  const until = Date.now() + PHASE_MS;
  const [storm, logins] = await Promise.all([hammerHealth(port, until), loginStorm(port, until)]);

  const row = (name, values) =>
    `${name.padEnd(22)} ${String(values.length).padStart(8)} ${percentile(values, 50).toFixed(2).padStart(8)} ${percentile(values, 99).toFixed(2).padStart(8)}\n`;
  const ratio = percentile(storm, 99) / percentile(quiet, 99);
  process.stdout.write(
    `GET /health/live latency, ${HEALTH_CONNECTIONS} keep-alive connections, ${PHASE_MS} ms per phase\n`,
  );
  process.stdout.write(
    `${'phase'.padEnd(22)} ${'requests'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}\n`,
  );
  process.stdout.write(row('quiet', quiet));
  process.stdout.write(row(`${LOGIN_CLIENTS} logins in flight`, storm));
  process.stdout.write(
    `logins completed during the storm: ${logins} (${((logins / PHASE_MS) * 1000).toFixed(1)}/s)\n`,
  );
  process.stdout.write(
    `p99 ratio storm/quiet: ${ratio.toFixed(2)}x (target <= 3x) ${ratio <= 3 ? 'OK' : 'OVER TARGET'}\n`,
  );
} finally {
  api.kill('SIGTERM');
  await new Promise((r) => api.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}
