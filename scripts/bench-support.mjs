// Shared by the benchmark scripts: boot the built API with plain Node, wait for it, and
// make HTTP calls that time themselves.
import { execFileSync, spawn } from 'node:child_process';
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

/** Polls GET /health/ready; with `child`, gives up at once when that process has exited. */
export async function waitUntilReady(port, child) {
  const agent = new Agent();
  for (let i = 0; i < 600; i++) {
    if (child && child.exitCode !== null)
      throw new Error(`API exited (${child.exitCode}) before it was ready`);
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
 * directory, database); resolves with the process, its port and its metrics port (METRICS_PORT,
 * when the env leaves metrics on). Its output is shown with BENCH_SERVER_LOG=1. With `imageHeap`, Node
 * runs with the container image's NODE_OPTIONS (its V8 heap caps): for measuring memory as
 * deployed. Without, Node sizes the heap itself, as it does for the bare baselines the
 * throughput benchmarks compare against. BENCH_NODE_OPTIONS adds flags (e.g. --cpu-prof, or
 * other heap caps to try); they come last, so they win over the image's. `nodeFlags` replaces
 * both (bench-heap.mjs runs two APIs with different caps). `exitWithParent`: the API gets an
 * IPC channel and shuts down when it closes (scripts/bench/exit-with-parent.mjs).
 */
export async function startBuiltApi(
  env,
  { imageHeap = false, nodeFlags = apiNodeFlags(imageHeap), exitWithParent = false } = {},
) {
  const preload = exitWithParent
    ? ['--import', new URL('./bench/exit-with-parent.mjs', import.meta.url).href]
    : [];
  const port = await freePort();
  let metricsPort = await freePort();
  while (metricsPort === port) metricsPort = await freePort();
  const child = spawn(process.execPath, [...nodeFlags, ...preload, 'dist/apps/api/src/main.js'], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'development',
      PORT: String(port),
      // Metrics on, as deployed, each API on a port of its own (heap.mjs runs two at once).
      METRICS_PORT: String(metricsPort),
      ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: BENCH_PASSWORD,
      RATE_LIMIT_PER_MINUTE: '100000',
      STRICT_RATE_LIMIT_PER_MINUTE: '100000',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: [
      'ignore',
      process.env.BENCH_SERVER_LOG ? 'inherit' : 'ignore',
      'inherit',
      ...(exitWithParent ? ['ipc'] : []),
    ],
  });
  try {
    await waitUntilReady(port, child);
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGTERM');
    throw error;
  }
  return { child, port, metricsPort };
}

/** The Node flags the API runs with: the image's heap caps or none, then BENCH_NODE_OPTIONS. */
export function apiNodeFlags(imageHeap) {
  return [imageHeap ? IMAGE_NODE_OPTIONS : '', process.env.BENCH_NODE_OPTIONS ?? '']
    .join(' ')
    .split(/\s+/)
    .filter(Boolean);
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat: read from
 * outside, so it counts the same way for the API and the baselines, and costs them nothing.
 * Resolution: one clock tick (10 ms).
 */
export function cpuSecondsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** A process's peak resident set (VmHWM) in MiB, from /proc/<pid>/status. */
export function peakRssMiBOf(pid) {
  const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kib === undefined ? undefined : Number(kib) / 1024;
}

/**
 * A Node script of scripts/bench/ in a child process with an IPC channel; resolves once it
 * sends `{ ready: true, ... }`, with that message. `ask(message)` sends one message and
 * resolves with the next answer. Node sizes its heap itself.
 */
export function startBenchChild(script, args = [], env = {}) {
  const child = spawn(process.execPath, [new URL(`./bench/${script}`, import.meta.url).pathname, ...args], {
    env: { PATH: process.env.PATH, NODE_ENV: 'development', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const nextMessage = () =>
    new Promise((resolve, reject) => {
      const onExit = (code) => reject(new Error(`${script} exited (${code}) before answering`));
      child.once('exit', onExit);
      child.once('message', (message) => {
        child.off('exit', onExit);
        resolve(message);
      });
    });
  return nextMessage().then((ready) => ({
    child,
    pid: child.pid,
    ready,
    ask: (message) => {
      const answer = nextMessage();
      child.send(message);
      return answer;
    },
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  }));
}

/**
 * What a benchmark must undo however it ends (child processes, scratch databases, temporary
 * directories holding development secrets): `add(undo, sync)` registers an async step, run
 * last registered first, each once, by `run()` (from the script's `finally`) or, on Ctrl-C,
 * SIGTERM or SIGHUP, before the process exits with 128 + the signal's number. `sync`, when
 * given, is a synchronous fallback run at the 'exit' event for the steps that never ran (what
 * a crash would skip); `addSync(fn)` registers a step that is synchronous anyway.
 */
export function exitCleanup() {
  const steps = [];
  let running;
  const run = () => {
    running ??= (async () => {
      while (steps.length > 0) {
        const step = steps.pop();
        try {
          await step.undo();
        } catch (error) {
          process.stderr.write(`cleanup: ${error.message}\n`);
        }
      }
    })();
    return running;
  };
  const signals = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };
  for (const [signal, number] of Object.entries(signals)) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: cleaning up...\n`);
      void run().then(() => process.exit(128 + number));
    });
  }
  process.once('exit', () => {
    for (const step of steps.reverse()) step.sync?.();
  });
  return {
    add: (undo, sync) => void steps.push({ undo, sync }),
    addSync: (sync) => void steps.push({ undo: async () => sync(), sync }),
    run,
  };
}

/**
 * Registers a child process with `cleanup`: SIGTERM and wait for it to exit, or SIGKILL at
 * the 'exit' event if that never happened.
 */
export function stopAtExit(cleanup, child) {
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  cleanup.add(
    async () => {
      if (gone()) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
    () => {
      if (!gone()) child.kill('SIGKILL');
    },
  );
}
