import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, bearer, postForm } from './support/auth.js';
import { freePort } from './support/processes.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { provisionTestDatabase, type TestDatabase } from './support/test-database.js';
import { useTestApp } from './support/use-test-app.js';

const REDIS_URL = 'redis://127.0.0.1:6379';

/** A key prefix of this run's own: other suites and agents share the local Redis. */
const uniquePrefix = (): string => `orderops-test-${randomBytes(6).toString('hex')}:`;

const echo = (t: TestApp, remoteAddress = '127.0.0.1') =>
  t.app.inject({ method: 'POST', url: '/probe/echo', remoteAddress, payload: { name: 'rate', count: 1 } });

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

  describe('per address, in memory', () => {
    const t = useTestApp({ env: { RATE_LIMIT_PER_MINUTE: '3' }, bootstrapAdmin: false, probes: true });

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

    it('never limits the health probes', async () => {
      for (let i = 0; i < 10; i++) {
        expect((await t.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      }
    });

    it('counts a burst spread over routes, unknown ones included, as one', async () => {
      const from = '192.0.2.10';
      const burst = [
        echo(t, from),
        t.app.inject({ method: 'GET', url: '/.well-known/jwks.json', remoteAddress: from }),
        t.app.inject({ method: 'GET', url: '/no/such/route', remoteAddress: from }),
      ];
      for (const res of await Promise.all(burst)) expect(res.statusCode).not.toBe(429);
      const next = await t.app.inject({ method: 'GET', url: '/orders', remoteAddress: from });
      expect(next.statusCode).toBe(429);
    });

    it('counts requests refused with 401, so guessing tokens is limited too', async () => {
      const from = '192.0.2.11';
      const guess = () =>
        t.app.inject({ method: 'GET', url: '/orders', remoteAddress: from, headers: bearer('not.a.token') });
      for (let i = 0; i < 3; i++) expect((await guess()).statusCode).toBe(401);
      expect((await guess()).statusCode).toBe(429);
      // Other addresses are not affected.
      expect((await echo(t, '192.0.2.12')).statusCode).toBe(200);
    });
  });

  describe('per principal', () => {
    const t = useTestApp({
      env: {
        RATE_LIMIT_PER_MINUTE: '20',
        RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE: '3',
        STRICT_RATE_LIMIT_PER_MINUTE: '20',
      },
      probes: true,
      clients: { 'Partner A': ['orders:read'], 'Partner B': ['orders:read'] },
    });
    let partnerA: string;
    let partnerB: string;

    beforeAll(async () => {
      const tokenOf = async (name: 'Partner A' | 'Partner B'): Promise<string> => {
        const client = t.client(name);
        const res = await postForm(
          t.app,
          '/oauth/token',
          { grant_type: 'client_credentials' },
          basic(client.clientId, client.clientSecret),
        );
        return res.json<{ access_token: string }>().access_token;
      };
      partnerA = await tokenOf('Partner A');
      partnerB = await tokenOf('Partner B');
    });

    it('gives partners behind one address an allowance each', async () => {
      const list = (token: string) =>
        t.app.inject({
          method: 'GET',
          url: '/orders',
          remoteAddress: '198.51.100.50',
          headers: bearer(token),
        });
      for (let i = 0; i < 3; i++) expect((await list(partnerA)).statusCode).toBe(200);
      const limited = await list(partnerA);
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      for (let i = 0; i < 3; i++) expect((await list(partnerB)).statusCode).toBe(200);
    });
  });

  describe('in Redis, shared by replicas', () => {
    const keysUnder = async (prefix: string): Promise<string[]> => {
      const redis = new Redis(REDIS_URL);
      try {
        return await redis.keys(`${prefix}*`);
      } finally {
        await redis.quit();
      }
    };

    it('counts hits on one replica against the limit of another, and stores no address', async () => {
      const prefix = uniquePrefix();
      const a = await start({ RATE_LIMIT_PER_MINUTE: '4', REDIS_URL, REDIS_KEY_PREFIX: prefix });
      const b = await start({ RATE_LIMIT_PER_MINUTE: '4', REDIS_URL, REDIS_KEY_PREFIX: prefix });
      expect((await echo(a)).statusCode).toBe(200);
      expect((await echo(b)).statusCode).toBe(200);
      expect((await echo(a)).statusCode).toBe(200);
      expect((await echo(b)).statusCode).toBe(200);
      // Four hits in all: each replica alone would still allow more.
      expect((await echo(a)).statusCode).toBe(429);
      expect((await echo(b)).statusCode).toBe(429);
      const keys = await keysUnder(prefix);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(key).not.toContain('127.0.0.1');
    });

    it('keeps deployments with different key prefixes apart on one Redis', async () => {
      const first = uniquePrefix();
      const second = uniquePrefix();
      const a = await start({ RATE_LIMIT_PER_MINUTE: '2', REDIS_URL, REDIS_KEY_PREFIX: first });
      const b = await start({ RATE_LIMIT_PER_MINUTE: '2', REDIS_URL, REDIS_KEY_PREFIX: second });
      for (let i = 0; i < 2; i++) expect((await echo(a)).statusCode).toBe(200);
      for (let i = 0; i < 2; i++) expect((await echo(b)).statusCode).toBe(200);
      expect((await echo(a)).statusCode).toBe(429);
      expect((await keysUnder(first)).length).toBeGreaterThan(0);
      expect((await keysUnder(second)).length).toBeGreaterThan(0);
    });

    it('keeps limiting in memory, with a warning and readiness intact, while Redis is unreachable', async () => {
      const deadPort = await freePort();
      const t = await start({ RATE_LIMIT_PER_MINUTE: '2', REDIS_URL: `redis://127.0.0.1:${deadPort}` });
      expect((await echo(t)).statusCode).toBe(200);
      expect((await echo(t)).statusCode).toBe(200);
      expect((await echo(t)).statusCode).toBe(429);
      expect(t.logs.text).toContain('Rate-limit storage (Redis) unavailable');
      expect((await t.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    });
  });
});
