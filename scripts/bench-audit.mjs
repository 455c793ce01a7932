// npm run bench:audit — how fast does the audit trail append under concurrency?
// Boots the built API on a throwaway embedded database (or on BENCH_DATABASE_URL, a real
// PostgreSQL whose database name contains "bench"), then 50 concurrent writers each loop on
// an audited request (a client_credentials grant: one auth.token.issued event in its own
// transaction) for BENCH_PHASE_MS. Prints events appended per second, from the chain head
// before and after, and checks the chain with GET /audit/verify.
// A benchmark, not a test: it reports, it does not fail on a number.
import { Buffer } from 'node:buffer';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { URL, URLSearchParams } from 'node:url';
import { BENCH_PASSWORD as PASSWORD, send, startBuiltApi } from './bench-support.mjs';

const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 8000);
const WRITERS = 50;
const databaseUrl = process.env.BENCH_DATABASE_URL;
if (databaseUrl && !new URL(databaseUrl).pathname.includes('bench')) {
  throw new Error('BENCH_DATABASE_URL must name a database whose name contains "bench"');
}

const call = (agent, port, method, path, body, headers = {}) =>
  send({ agent, port, method, path, body, headers });

const formHeaders = (body, extra = {}) => ({
  'content-type': 'application/x-www-form-urlencoded',
  'content-length': Buffer.byteLength(body),
  ...extra,
});

async function json(agent, port, method, path, token, payload) {
  const body = payload === undefined ? undefined : JSON.stringify(payload);
  const headers = { authorization: `Bearer ${token}` };
  if (body)
    Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  const res = await call(agent, port, method, path, body, headers);
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}`);
  return JSON.parse(res.body);
}

async function writers(port, clientId, secret, until) {
  const agent = new Agent({ keepAlive: true, maxSockets: WRITERS });
  const body = new URLSearchParams({ grant_type: 'client_credentials' }).toString();
  const headers = formHeaders(body, {
    authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
  });
  let ok = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (Date.now() < until) {
        const { status } = await call(agent, port, 'POST', '/oauth/token', body, headers);
        if (status !== 200) throw new Error(`grant answered ${status}`);
        ok++;
      }
    }),
  );
  agent.destroy();
  return ok;
}

const dataDir = mkdtempSync(join(tmpdir(), 'orderops-bench-'));
const { child: api, port } = await startBuiltApi({
  ORDEROPS_DATA_DIR: dataDir,
  ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
});

try {
  const agent = new Agent({ keepAlive: true });
  const login = new URLSearchParams({
    grant_type: 'password',
    client_id: 'orderops-web',
    username: 'admin',
    password: PASSWORD,
  }).toString();
  const tokenRes = await call(agent, port, 'POST', '/oauth/token', login, formHeaders(login));
  const { access_token: token } = JSON.parse(tokenRes.body);
  const { clientId, clientSecret } = await json(agent, port, 'POST', '/admin/clients', token, {
    name: 'Audit bench',
    scopes: ['orders:read'],
  });
  const headSeq = async () =>
    (await json(agent, port, 'GET', '/audit/events?limit=1', token)).items[0]?.seq ?? 0;

  await writers(port, clientId, clientSecret, Date.now() + 1000); // warm-up
  const before = await headSeq();
  const started = Date.now();
  const requests = await writers(port, clientId, clientSecret, started + PHASE_MS);
  const seconds = (Date.now() - started) / 1000;
  const appended = (await headSeq()) - before;
  const verify = await json(agent, port, 'GET', '/audit/verify', token);
  agent.destroy();

  process.stdout.write(
    `audit appends, ${WRITERS} concurrent writers, ${databaseUrl ? 'PostgreSQL' : 'embedded PGlite'}, ${PHASE_MS} ms\n`,
  );
  process.stdout.write(`requests completed: ${requests}; events appended: ${appended}\n`);
  process.stdout.write(`audit events/s appended: ${(appended / seconds).toFixed(1)}\n`);
  process.stdout.write(
    `chain after the run: ${verify.valid ? 'valid' : `BROKEN at ${JSON.stringify(verify.brokenAt)}`} (${verify.checked} events checked)\n`,
  );
} finally {
  api.kill('SIGTERM');
  await new Promise((r) => api.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}
