// Shared by the benchmark scripts: boot the built API with plain Node, wait for it, and
// make HTTP calls that time themselves.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { URL } from 'node:url';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import process from 'node:process';
import { setTimeout } from 'node:timers';

/** The bootstrap admin's password in every benchmark's throwaway database. */
export const BENCH_PASSWORD = 'bench-only-bootstrap-pw-4d1c9e';

/** NODE_OPTIONS as the container image sets them (the Dockerfile is the one source). */
export const IMAGE_NODE_OPTIONS =
  /NODE_OPTIONS="([^"]*)"/.exec(readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8'))?.[1] ?? '';

export const freePort = () =>
  new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/**
 * One request to 127.0.0.1: resolves with the status, the body as text and the latency in
 * milliseconds. `body` is a string/Buffer or a readable stream (piped).
 */
export function send({ port, method = 'GET', path, headers = {}, body, agent = new Agent() }) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode, body: text, ms: Number(process.hrtime.bigint() - started) / 1e6 }),
      );
    });
    req.on('error', reject);
    if (body && typeof body.pipe === 'function') body.pipe(req);
    else req.end(body);
  });
}

export async function waitUntilReady(port) {
  const agent = new Agent();
  for (let i = 0; i < 600; i++) {
    try {
      if ((await send({ port, path: '/health/ready', agent })).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('API did not become ready');
}

/**
 * The built API (dist/), with rate limits lifted for load, the bench admin, and `env` (data
 * directory, database). Its output is shown with BENCH_SERVER_LOG=1. With `imageHeap`, Node
 * runs with the container image's NODE_OPTIONS (its V8 heap caps): for measuring memory as
 * deployed. Without, Node sizes the heap itself, as it does for the bare baselines the
 * throughput benchmarks compare against. BENCH_NODE_OPTIONS adds flags (e.g. --cpu-prof).
 */
export async function startBuiltApi(env, { imageHeap = false } = {}) {
  const port = await freePort();
  const nodeFlags = [imageHeap ? IMAGE_NODE_OPTIONS : '', process.env.BENCH_NODE_OPTIONS ?? '']
    .join(' ')
    .split(/\s+/)
    .filter(Boolean);
  const child = spawn(process.execPath, [...nodeFlags, 'dist/apps/api/src/main.js'], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'development',
      PORT: String(port),
      ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: BENCH_PASSWORD,
      RATE_LIMIT_PER_MINUTE: '100000',
      STRICT_RATE_LIMIT_PER_MINUTE: '100000',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', process.env.BENCH_SERVER_LOG ? 'inherit' : 'ignore', 'inherit'],
  });
  await waitUntilReady(port);
  return { child, port };
}
