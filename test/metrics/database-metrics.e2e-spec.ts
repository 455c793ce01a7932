import { AuditSequencer } from '@orderops/audit';
import { Metrics } from '@orderops/core';
import { DataSource, type QueryRunner } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import { databaseKind } from '../support/test-database.js';
import { useTestApp } from '../support/use-test-app.js';
import { samples } from './support.js';

describe('database metrics', () => {
  const t = useTestApp({
    behindProxy: true,
    bootstrapAdmin: false,
    // Two connections, so a third caller waits; a short statement bound, so an unanswered
    // query is given up after 100 ms + the 2 s read grace.
    env: {
      DATABASE_POOL_SIZE: '2',
      DATABASE_STATEMENT_TIMEOUT_MS: '100',
      DATABASE_POOL_ACQUIRE_TIMEOUT_MS: '1000',
    },
  });
  const values = async (): Promise<Map<string, number>> => samples(await t.app.get(Metrics).scrape());
  const errors = async (errorClass: string): Promise<number> =>
    (await values()).get(`orderops_db_query_errors_total{class="${errorClass}"}`) ?? -1;
  const ready = () => t.app.inject({ method: 'GET', url: '/health/ready' });

  /**
   * Takes both pool connections and holds them until released. Each is proven live first: an
   * earlier case leaves a connection whose socket was destroyed (an unanswered read), and
   * holding that one would let the pool open a fresh connection for the next caller.
   */
  // The audit sequencer polls through the pool every 100 ms: stopped here, so every wait and
  // timeout these cases count is their own.
  beforeAll(async () => {
    await t.app.get(AuditSequencer).onModuleDestroy();
  });

  async function holdPool(): Promise<() => Promise<void>> {
    const runners: QueryRunner[] = [];
    for (let attempts = 0; runners.length < 2 && attempts < 6; attempts++) {
      const runner = t.app.get(DataSource).createQueryRunner();
      await runner.connect();
      try {
        await runner.query('SELECT 1');
        runners.push(runner);
      } catch {
        await runner.release();
      }
    }
    expect(runners).toHaveLength(2);
    return async () => {
      for (const runner of runners) await runner.release();
    };
  }

  it('reports the pool: its bound, connections lent out, callers waiting and how long they waited', async () => {
    const before = await values();
    const release = await holdPool();
    const waiting = t.app.get(DataSource).query('SELECT 1');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const during = await values();
    await release();
    await waiting;
    expect(during.get('orderops_db_pool_max')).toBe(2);
    expect(during.get('orderops_db_pool_in_use')).toBe(2);
    expect(during.get('orderops_db_pool_waiting')).toBe(1);
    const after = await values();
    expect([after.get('orderops_db_pool_in_use'), after.get('orderops_db_pool_waiting')]).toEqual([0, 0]);
    expect(after.get('orderops_db_pool_size')).toBeLessThanOrEqual(2);
    // Three waits for a connection: the two holders and the query that waited for one of them.
    const moved = (key: string): number => (after.get(key) ?? 0) - (before.get(key) ?? 0);
    expect(moved('orderops_db_pool_acquire_seconds_count')).toBeGreaterThanOrEqual(3);
    expect(moved('orderops_db_pool_acquire_seconds_sum')).toBeGreaterThanOrEqual(0.04);
    expect(moved('orderops_db_pool_acquire_seconds_bucket{le="0.01"}')).toBeLessThan(
      moved('orderops_db_pool_acquire_seconds_count'),
    );
  });

  it('counts a constraint violation the server raises as "constraint"', async () => {
    const before = await errors('constraint');
    await expect(
      t.app.get(DataSource).query("DO $$ BEGIN RAISE unique_violation USING MESSAGE = 'probe'; END $$"),
    ).rejects.toThrow();
    expect(await errors('constraint')).toBe(before + 1);
    expect(await errors('other')).toBe(0);
  });

  it('counts a query whose answer never comes as "timeout"', async () => {
    const before = await errors('timeout');
    t.proxy.latencyMs = 3_000;
    try {
      expect((await ready()).statusCode).toBe(503);
    } finally {
      t.proxy.latencyMs = 0;
    }
    // Readiness gives up before the client does; the query's own end is counted when it comes.
    let after = before;
    for (let i = 0; i < 40 && after === before; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await errors('timeout');
    }
    expect(after).toBeGreaterThan(before);
  });

  it('counts a wait for a pool connection that runs out as "timeout", and as an acquire timeout', async () => {
    const acquireTimeouts = async (): Promise<number> =>
      (await values()).get('orderops_db_pool_acquire_timeouts_total') ?? -1;
    const before = await errors('timeout');
    const timeoutsBefore = await acquireTimeouts();
    const release = await holdPool();
    try {
      await expect(t.app.get(DataSource).query('SELECT 1')).rejects.toThrow(/timeout exceeded/);
    } finally {
      await release();
    }
    expect(await errors('timeout')).toBe(before + 1);
    expect(await acquireTimeouts()).toBe(timeoutsBefore + 1);
    // A statement timeout is a timeout, but no wait for the pool: the acquire counter stays.
    // (PGlite has no statement timeout: there the sleep just ends.)
    const slow = t.app.get(DataSource).query('SELECT pg_sleep(1)');
    if (databaseKind === 'postgres') await expect(slow).rejects.toThrow();
    else await slow;
    expect(await acquireTimeouts()).toBe(timeoutsBefore + 1);
  });

  it('counts queries and connection attempts that find the database gone as "connection"', async () => {
    const before = await errors('connection');
    t.proxy.cut();
    try {
      expect((await ready()).statusCode).toBe(503);
    } finally {
      t.proxy.restore();
    }
    expect(await errors('connection')).toBeGreaterThan(before);
    // Nothing about the failures, only their class: no message, address or SQL in any label.
    expect(await t.app.get(Metrics).scrape()).not.toMatch(/ECONN|127\.0\.0\.1|SELECT/);
  });
});
