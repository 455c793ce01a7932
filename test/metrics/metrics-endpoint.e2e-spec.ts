import { connect } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '@orderops/core';
import { listenApp } from '../../apps/api/src/app.factory.js';
import { freePort } from '../support/processes.js';
import { startTestApp } from '../support/test-app.js';
import { provisionTestDatabase } from '../support/test-database.js';
import { useTestApp } from '../support/use-test-app.js';
import { samples, scrape } from './support.js';

const [apiPort, metricsPort] = [await freePort(), await freePort()];

/** Whether anything accepts a TCP connection on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('the metrics endpoint on its own port', () => {
  const t = useTestApp({
    env: { HOST: '127.0.0.1', PORT: String(apiPort), METRICS_PORT: String(metricsPort) },
  });
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  beforeAll(async () => listenApp(t.app, t.config));

  it('serves the Prometheus text format with the Node collectors and the pool gauges', async () => {
    const { status, contentType, text } = await scrape(metricsUrl);
    expect(status).toBe(200);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const family of [
      'nodejs_eventloop_lag_seconds gauge',
      'nodejs_gc_duration_seconds histogram',
      'nodejs_heap_size_used_bytes gauge',
      'process_cpu_seconds_total counter',
    ]) {
      expect(text).toContain(`# TYPE ${family}`);
    }
    const values = samples(text);
    expect(values.get('orderops_db_pool_max')).toBe(t.config.database.poolSize);
    expect(values.get('orderops_db_pool_size')).toBeGreaterThanOrEqual(1);
    expect(values.get('orderops_db_pool_waiting')).toBe(0);
    expect(values.get('orderops_db_query_errors_total{class="connection"}')).toBe(0);
  });

  it('is not served on the public port, and the metrics port serves nothing else', async () => {
    const api = `http://127.0.0.1:${apiPort}`;
    expect((await fetch(`${api}/health/live`)).status).toBe(200);
    expect((await fetch(`${api}/metrics`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/health/live`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/`)).status).toBe(404);
    const post = await fetch(metricsUrl, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });
});

describe('the metrics listener', () => {
  it('with METRICS_ENABLED=false, leaves the metrics port closed and installs no request metrics', async () => {
    const db = await provisionTestDatabase();
    const [port, unused] = [await freePort(), await freePort()];
    const app = await startTestApp({
      ...db.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_PORT: String(unused),
      METRICS_ENABLED: 'false',
    });
    try {
      await listenApp(app.app, app.config);
      expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
      expect(await listening(unused)).toBe(false);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
      expect(await app.app.get(Metrics).scrape()).not.toContain('orderops_http_requests_total{');
    } finally {
      await app.close();
      await db.dispose();
    }
  });

  it("closes with the app, a scraper's keep-alive connection included", async () => {
    const db = await provisionTestDatabase();
    const [port, metrics] = [await freePort(), await freePort()];
    const app = await startTestApp({
      ...db.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_PORT: String(metrics),
    });
    try {
      await listenApp(app.app, app.config);
      expect((await scrape(`http://127.0.0.1:${metrics}/metrics`)).status).toBe(200);
    } finally {
      await app.close();
      await db.dispose();
    }
    expect(await listening(metrics)).toBe(false);
  });
});
