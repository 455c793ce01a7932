// npm run bench:login — does a login storm starve the rest of the service?
// Boots the built API on a throwaway embedded database, then measures GET /health/live
// latency twice, side by side in one run: quiet, and while 20 clients log in concurrently
// (argon2id password grants). Prints both p99s and their ratio (target: storm <= 3x quiet).
// A benchmark, not a test: it reports, it does not fail on a number.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { URLSearchParams } from 'node:url';

const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 8000);
const HEALTH_CONNECTIONS = 8;
const LOGIN_CLIENTS = 20;
const PASSWORD = 'bench-only-bootstrap-pw-4d1c9e';

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

function call(agent, port, method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }),
      );
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

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

async function waitServing(port) {
  const agent = new Agent();
  for (let i = 0; i < 300; i++) {
    try {
      if ((await call(agent, port, 'GET', '/health/ready')).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('API did not become ready');
}

const dataDir = mkdtempSync(join(tmpdir(), 'orderops-bench-'));
const port = await freePort();
const api = spawn(process.execPath, ['dist/apps/api/src/main.js'], {
  env: {
    PATH: process.env.PATH,
    NODE_ENV: 'development',
    PORT: String(port),
    ORDEROPS_DATA_DIR: dataDir,
    ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: PASSWORD,
    RATE_LIMIT_PER_MINUTE: '100000',
    STRICT_RATE_LIMIT_PER_MINUTE: '100000',
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', process.env.BENCH_SERVER_LOG ? 'inherit' : 'ignore', 'inherit'],
});

try {
  await waitServing(port);
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
