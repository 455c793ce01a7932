import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './support/processes.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { provisionTestDatabase, type TestDatabase } from './support/test-database.js';

/** A Redis logical database of its own, emptied first, so runs never see each other's counters. */
const REDIS_URL = 'redis://127.0.0.1:6379/14';

const echo = (t: TestApp) =>
  t.app.inject({ method: 'POST', url: '/probe/echo', payload: { name: 'rate', count: 1 } });

describe('rate limiting', () => {
  const dbs: TestDatabase[] = [];
  const apps: TestApp[] = [];
  const start = async (env: Record<string, string>): Promise<TestApp> => {
    const db = await provisionTestDatabase();
    dbs.push(db);
    const t = await startTestApp({ ...db.env, ...env }, { probes: true });
    apps.push(t);
    return t;
  };

  afterAll(async () => {
    for (const t of apps) await t.close();
    for (const db of dbs) await db.dispose();
  });

  describe('in memory', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await start({ RATE_LIMIT_PER_MINUTE: '3' });
    });

    it('answers 429 problem+json with Retry-After once the limit is passed', async () => {
      for (let i = 0; i < 3; i++) expect((await echo(t)).statusCode).toBe(200);
      const limited = await echo(t);
      expect(limited.statusCode).toBe(429);
      expect(limited.headers['content-type']).toContain('application/problem+json');
      expect(limited.json()).toMatchObject({ status: 429, type: 'urn:orderops:problem:rate-limited' });
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
    });

    it('never throttles the health probes', async () => {
      for (let i = 0; i < 10; i++) {
        expect((await t.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      }
    });
  });

  describe('in Redis, shared by replicas', () => {
    beforeAll(async () => {
      const redis = new Redis(REDIS_URL);
      await redis.flushdb();
      await redis.quit();
    });

    it('counts hits on one replica against the limit of another', async () => {
      const a = await start({ RATE_LIMIT_PER_MINUTE: '4', REDIS_URL });
      const b = await start({ RATE_LIMIT_PER_MINUTE: '4', REDIS_URL });
      expect((await echo(a)).statusCode).toBe(200);
      expect((await echo(b)).statusCode).toBe(200);
      expect((await echo(a)).statusCode).toBe(200);
      expect((await echo(b)).statusCode).toBe(200);
      // Four hits in all: each replica alone would still allow more.
      expect((await echo(a)).statusCode).toBe(429);
      expect((await echo(b)).statusCode).toBe(429);
    });

    it('stores no client address in Redis', async () => {
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys('*');
      await redis.quit();
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(key).not.toContain('127.0.0.1');
    });

    it('lets requests through and logs a warning when Redis is unreachable', async () => {
      const deadPort = await freePort();
      const t = await start({ RATE_LIMIT_PER_MINUTE: '1', REDIS_URL: `redis://127.0.0.1:${deadPort}` });
      expect((await echo(t)).statusCode).toBe(200);
      expect((await echo(t)).statusCode).toBe(200);
      expect(t.logs.text).toContain('Rate-limit storage unavailable');
    });
  });
});
