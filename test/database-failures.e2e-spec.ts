import { DataSource } from 'typeorm';
import type { LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  bearer,
  passwordGrant,
  postForm,
  TEST_ADMIN_PASSWORD,
  tokenFor,
  type TokenBody,
} from './support/auth.js';
import { order, postOrder } from './support/orders.js';
import { databaseBehindProxy, type ProxiedDatabase, type TcpProxy } from './support/tcp-proxy.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { adminSsl, databaseKind, provisionTestDatabase, type TestDatabase } from './support/test-database.js';
import { useTestApp } from './support/use-test-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `done` holds; the suite's test timeout is the only bound. */
async function eventually<T>(attempt: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await attempt();
    if (done(value)) return value;
    await sleep(200);
  }
}

function expectOutage(res: LightMyRequestResponse): void {
  expect(res.statusCode, res.body).toBe(503);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(res.headers['www-authenticate']).toBeUndefined();
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json()).toMatchObject({
    type: 'urn:orderops:problem:service-unavailable',
    status: 503,
    requestId: res.headers['x-request-id'],
  });
}

function expectOAuthOutage(res: LightMyRequestResponse): void {
  expect(res.statusCode, res.body).toBe(503);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(res.headers['content-type']).toContain('application/json');
  expect(res.json()).toEqual({
    error: 'temporarily_unavailable',
    error_description: expect.any(String) as string,
  });
}

const baseEnv = {
  ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
  STRICT_RATE_LIMIT_PER_MINUTE: '10000',
  RATE_LIMIT_PER_MINUTE: '100000',
};

describe('a failure of ours is never reported as the caller’s fault', () => {
  describe('while the database is down', () => {
    const t = useTestApp({ env: baseEnv, behindProxy: true, clients: { Partner: ['orders:read'] } });
    let proxy: TcpProxy;
    let admin: TokenBody;
    let partner: { clientId: string; clientSecret: string };

    beforeAll(() => {
      proxy = t.proxy;
      admin = t.grant('admin');
      partner = t.client('Partner');
      proxy.cut();
    });

    it('answers a good token with 503 and Retry-After, not 401, and logs the outage with the request id', async () => {
      for (const url of ['/orders', '/admin/operators']) {
        const res = await t.app.inject({ method: 'GET', url, headers: bearer(admin.access_token) });
        expectOutage(res);
        const logged = t.logs
          .records()
          .find((r) => r.requestId === res.headers['x-request-id'] && r.msg === 'Dependency unavailable');
        expect(logged).toMatchObject({ level: 'warn', failure: { code: expect.any(String) as string } });
      }
      // Neither the token nor anything else from the request reaches the log.
      expect(t.logs.text).not.toContain(admin.access_token);
    });

    it('still answers a token it can refuse without the database with 401', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/orders', headers: bearer('not.a.jwt') });
      expect(res.statusCode).toBe(401);
      const none = await t.app.inject({ method: 'GET', url: '/orders' });
      expect(none.statusCode).toBe(401);
    });

    it('answers the OAuth endpoints with 503 temporarily_unavailable and Retry-After', async () => {
      expectOAuthOutage(await passwordGrant(t.app, 'admin', TEST_ADMIN_PASSWORD));
      const client = basic(partner.clientId, partner.clientSecret);
      expectOAuthOutage(await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, client));
      expectOAuthOutage(await postForm(t.app, '/oauth/introspect', { token: admin.access_token }, client));
      expectOAuthOutage(await postForm(t.app, '/oauth/revoke', { token: admin.access_token }, client));
    });

    it('serves the same token again once the database is back', async () => {
      proxy.restore();
      const res = await eventually(
        () => t.app.inject({ method: 'GET', url: '/orders', headers: bearer(admin.access_token) }),
        (r) => r.statusCode !== 503,
      );
      expect(res.statusCode).toBe(200);
    });
  });

  describe('a black-holed connection', () => {
    const poolSize = 2;
    const t = useTestApp({
      env: {
        ...baseEnv,
        DATABASE_POOL_SIZE: String(poolSize),
        DATABASE_STATEMENT_TIMEOUT_MS: '1000',
        DATABASE_POOL_ACQUIRE_TIMEOUT_MS: '1000',
      },
      behindProxy: true,
      signIn: ['admin'],
    });
    let proxy: TcpProxy;
    let admin: TokenBody;

    beforeAll(() => {
      proxy = t.proxy;
      admin = t.grant('admin');
    });

    const orders = () => t.app.inject({ method: 'GET', url: '/orders', headers: bearer(admin.access_token) });
    const ready = () => t.app.inject({ method: 'GET', url: '/health/ready' });

    /** Fills the pool, so that every connection it holds is one that will be black-holed. */
    const fillPool = async (): Promise<void> => {
      const ds = t.app.get(DataSource);
      await Promise.all(Array.from({ length: poolSize }, () => ds.query('SELECT pg_sleep(0.2)')));
    };

    it('is given up and replaced while new connections pass, so readiness and requests recover by themselves', async () => {
      await fillPool();
      proxy.blackHole({ newConnections: 'pass' });
      // Readiness runs through the ORM's query runner, which hands a connection back to the
      // pool without an error: a wedged connection must still never be handed out again.
      const probe = await eventually(ready, (r) => r.statusCode !== 503);
      expect(probe.statusCode).toBe(200);
      expect((await orders()).statusCode).toBe(200);
    });

    it('fails requests with 503 and readiness while the database is unreachable, and heals once it is back', async () => {
      await fillPool();
      proxy.blackHole({ newConnections: 'swallow' });
      // More requests than connections: some wait on a silent socket, the rest for the pool.
      const during = await Promise.all(Array.from({ length: poolSize + 2 }, orders));
      during.forEach(expectOutage);
      const notReady = await ready();
      expect(notReady.statusCode).toBe(503);
      expect(notReady.json()).toMatchObject({ checks: { database: 'down' } });
      expect((await t.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);

      // The path to the database heals; the black-holed sockets stay silent for good.
      proxy.restore();
      expect((await eventually(orders, (r) => r.statusCode !== 503)).statusCode).toBe(200);
      expect((await eventually(ready, (r) => r.statusCode !== 503)).statusCode).toBe(200);
    });
  });

  describe.runIf(databaseKind === 'postgres')(
    'two instances, one losing its session mid-transaction while it holds the audit chain-head lock',
    () => {
      // The embedded database has a single session inside its own process: no server-side
      // session timeouts, and no second instance can share it.
      let db: TestDatabase;
      let behind: ProxiedDatabase;
      let proxy: TcpProxy;
      let other: TestApp;
      let admin: TokenBody;
      let locker: pg.Client;

      beforeAll(async () => {
        db = await provisionTestDatabase();
        behind = await databaseBehindProxy(db);
        proxy = behind.proxy;
        other = await startTestApp({ ...db.env, ...baseEnv, DATABASE_LOCK_TIMEOUT_MS: '500' });
        admin = await tokenFor(other.app, 'admin', TEST_ADMIN_PASSWORD);
        locker = new pg.Client({ connectionString: db.env.DATABASE_URL, ssl: adminSsl() });
        await locker.connect();
      });

      afterAll(async () => {
        await locker?.end();
        await other?.close();
        await behind?.dispose();
        await db?.dispose();
      });

      // With the hash chain, such a session kept the chain head's lock and every replica's
      // audited writes waited (answering 503) until the server ended it. The Merkle log
      // shares no row between writers.
      it('a session gone silent inside an audited transaction blocks no other audited write, and the server ends it', async () => {
        const silent = new pg.Client({ connectionString: behind.env.DATABASE_URL, ssl: adminSsl() });
        silent.on('error', () => undefined);
        await silent.connect();
        await silent.query(`SET idle_in_transaction_session_timeout = 1500`);
        const { rows } = await silent.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        const pid = rows[0].pid;
        await silent.query('BEGIN');
        // What an audited transaction writes before its COMMIT.
        await silent.query(`INSERT INTO audit_events (id, at, actor, actor_type, action, outcome, details, leaf_hash)
          VALUES (gen_random_uuid(), now(), 'test', 'system', 'test.silent', 'success', '{}', repeat('0', 64))`);
        proxy.blackHole({ newConnections: 'pass' });

        const created = await postOrder(other.app, admin.access_token, order());
        expect(created.statusCode, created.body).toBe(201);
        expect((await passwordGrant(other.app, 'admin', TEST_ADMIN_PASSWORD)).statusCode).toBe(200);

        // The server ends the silent session after its idle timeout; its event never commits.
        await eventually(
          async () => (await locker.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount,
          (count) => count === 0,
        );
        expect((await locker.query(`SELECT 1 FROM audit_events WHERE action = 'test.silent'`)).rowCount).toBe(
          0,
        );
        void silent.end().catch(() => undefined);
      });
    },
  );
});
