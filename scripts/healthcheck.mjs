// Container health check: exits 0 when the probe URL answers 200, 1 otherwise.
// Runs inside the distroless image (no shell, no curl): `node scripts/healthcheck.mjs [url]`.
// Without an argument it probes the liveness endpoint of the local process; the Helm test
// pod passes the Service's readiness URL instead.
/* global fetch, AbortSignal */
import process from 'node:process';

const TIMEOUT_MS = 4000;

const port = process.env.PORT || '3000';
const url = process.argv[2] || `http://127.0.0.1:${port}/health/live`;

try {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' });
  await response.body?.cancel();
  process.exitCode = response.status === 200 ? 0 : 1;
  if (process.exitCode !== 0) process.stderr.write(`health check ${url}: HTTP ${response.status}\n`);
} catch (error) {
  process.stderr.write(`health check ${url}: ${error instanceof Error ? error.message : 'failed'}\n`);
  process.exitCode = 1;
}
