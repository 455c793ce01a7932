import { Database, Metrics } from '@orderops/core';
import type { LightMyRequestResponse } from 'fastify';
import { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { TEST_ADMIN_PASSWORD } from '../support/auth.js';
import { samples } from '../metrics/support.js';
import { useTestApp } from '../support/use-test-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The liveness bound of these suites (DATABASE_POOL_STALL_LIVENESS_MS). */
const BOUND_MS = 2_000;
const POOL_SIZE = 2;

const env = {
  ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
  RATE_LIMIT_PER_MINUTE: '100000',
  DATABASE_POOL_SIZE: String(POOL_SIZE),
  DATABASE_POOL_ACQUIRE_TIMEOUT_MS: '500',
  DATABASE_POOL_STALL_LIVENESS_MS: String(BOUND_MS),
  // A query sent into a black hole stays unanswered (and its connection lent out) for a
  // minute: longer than any of these cases, so only the liveness bound can end the wedge.
  DATABASE_STATEMENT_TIMEOUT_MS: '60000',
};

describe('liveness tells a wedged pool from a database that is down', () => {
  const t = useTestApp({ env, behindProxy: true, signIn: ['admin'] });
  const live = () => t.app.inject({ method: 'GET', url: '/health/live' });
  const ready = () => t.app.inject({ method: 'GET', url: '/health/ready' });
  const orders = () =>
    t.app.inject({ method: 'GET', url: '/orders', headers: { authorization: `Bearer ${t.token('admin')}` } });
  const stalledSeconds = async (): Promise<number> =>
    samples(await t.app.get(Metrics).scrape()).get('orderops_db_pool_stalled_seconds') ?? Number.NaN;

  /** Opens every pool connection, so each one the proxy black-holes is one the pool will lend. */
  const fillPool = async (): Promise<void> => {
    const ds = t.app.get(DataSource);
    await Promise.all(Array.from({ length: POOL_SIZE }, () => ds.query('SELECT pg_sleep(0.2)')));
  };

  /** Requests (and probes) keep coming every 250 ms for `ms`, as they would in production. */
  async function underTraffic(ms: number, each: (live: LightMyRequestResponse) => void): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const [res, probe, liveness] = await Promise.all([orders(), ready(), sleep(250).then(live)]);
      expect(res.statusCode).toBe(503);
      expect(probe.statusCode).toBe(503);
      each(liveness);
    }
  }

  it('stays live while the database refuses connections: readiness fails, requests get 503 fast', async () => {
    expect((await orders()).statusCode).toBe(200);
    expect((await ready()).statusCode).toBe(200);
    const before = samples(await t.app.get(Metrics).scrape());
    t.proxy.cut();
    const started = Date.now();
    const res = await orders();
    expect(res.statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(500);
    await underTraffic(BOUND_MS * 1.5, (liveness) => expect(liveness.statusCode).toBe(200));
    expect(await stalledSeconds()).toBeLessThan(BOUND_MS / 1000);
    t.proxy.restore();
    await eventually(async () => (await orders()).statusCode === 200);
    expect((await ready()).statusCode).toBe(200);
    // Readiness went down and up again: two changes, the flapping alert's input.
    const after = samples(await t.app.get(Metrics).scrape());
    const changes = 'orderops_health_readiness_changes_total';
    expect((after.get(changes) ?? 0) - (before.get(changes) ?? 0)).toBe(2);
    expect(after.get('orderops_health_ready')).toBe(1);
  });

  it('stays live while connection attempts time out with nothing lent out', async () => {
    // Every connection dropped, then every new one swallowed: the pool holds nothing, so a
    // restart frees nothing; readiness says the database is unreachable.
    t.proxy.cut();
    t.proxy.restore();
    t.proxy.blackHole({ newConnections: 'swallow' });
    await underTraffic(BOUND_MS * 1.5, (liveness) => expect(liveness.statusCode).toBe(200));
    t.proxy.cut();
    t.proxy.restore();
    await eventually(async () => (await orders()).statusCode === 200);
  });

  it('is not live once lent-out connections stay silent for the bound while callers starve', async () => {
    await fillPool();
    t.proxy.blackHole({ newConnections: 'swallow' });
    // Silent connections that nobody uses are no wedge.
    await sleep(BOUND_MS + 500);
    expect((await live()).statusCode).toBe(200);

    // Each of these takes a silent connection and waits for an answer that never comes.
    const stuck = Array.from({ length: POOL_SIZE }, orders);
    await eventually(() => Promise.resolve(t.app.get(Database).poolStall().lentOut === POOL_SIZE));
    const first = await orders();
    expect(first.statusCode).toBe(503);
    // Starving, but for less than the bound: still live.
    expect((await live()).statusCode).toBe(200);

    let notLive: LightMyRequestResponse | undefined;
    const started = Date.now();
    while (notLive === undefined && Date.now() - started < BOUND_MS * 4) {
      const [, liveness] = await Promise.all([orders(), sleep(250).then(live)]);
      if (liveness.statusCode !== 200) notLive = liveness;
    }
    expect(notLive?.statusCode).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(BOUND_MS - 1000);
    expect(notLive?.headers['content-type']).toContain('application/problem+json');
    expect(Number(notLive?.headers['retry-after'])).toBeGreaterThan(0);
    expect(notLive?.json()).toMatchObject({
      type: 'urn:orderops:problem:service-unavailable',
      status: 503,
      checks: { pool: 'wedged' },
    });
    expect(await stalledSeconds()).toBeGreaterThanOrEqual(BOUND_MS / 1000);
    const wedgeLog = t.logs.records().find((r) => String(r.msg).startsWith('Database pool wedged'));
    expect(wedgeLog).toMatchObject({ lentOut: POOL_SIZE });

    // The silent sockets are reset (what a restart would do): the stuck requests fail, their
    // connections return, and the pool is live again.
    t.proxy.cut();
    for (const res of await Promise.all(stuck)) expect(res.statusCode).toBe(503);
    expect((await live()).statusCode).toBe(200);
    t.proxy.restore();
    await eventually(async () => (await orders()).statusCode === 200);
    expect((await ready()).statusCode).toBe(200);
  });
});

async function eventually(done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (await done()) return;
    await sleep(200);
  }
  throw new Error('the condition never held');
}
