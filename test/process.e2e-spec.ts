import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnApi, startApi, type RunningProcess } from './support/processes.js';
import { databaseBehindProxy, type ProxiedDatabase, type TcpProxy } from './support/tcp-proxy.js';
import { makeTempDir, provisionTestDatabase, type TestDatabase } from './support/test-database.js';

/**
 * The built service run the way production runs it: plain Node on `dist`, configured only
 * through its environment, stopped with signals.
 */
describe('the built service as a process', () => {
  const running: RunningProcess[] = [];
  const track = (p: RunningProcess): RunningProcess => (running.push(p), p);

  afterEach(() => {
    for (const p of running.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  });

  describe('on the suite database', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await provisionTestDatabase();
    });
    afterAll(async () => db?.dispose());

    it('boots from dist, is ready, logs JSON lines, and exits 0 on SIGTERM', async () => {
      const api = track(await startApi(db.env));
      const ready = await fetch(`${api.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ok', database: 'up', migrations: 'applied' });
      api.child.kill('SIGTERM');
      expect(await api.exited).toBe(0);
      const lines = api.stdout().trim().split('\n');
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    });

    it('`orderops migrate` applies migrations once and then reports the schema up to date', () => {
      const first = runCli(['migrate'], db.env);
      expect(first.status, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/Applied 1 migration|up to date/);
      const second = runCli(['migrate'], db.env);
      expect(second.status).toBe(0);
      expect(second.stdout).toContain('Database schema is up to date.');
    });
  });

  describe('SIGTERM drains in-flight requests', () => {
    let proxy: TcpProxy;
    let behind: ProxiedDatabase;
    let db: TestDatabase;
    let env: Record<string, string>;

    beforeAll(async () => {
      db = await provisionTestDatabase();
      behind = await databaseBehindProxy(db);
      proxy = behind.proxy;
      env = behind.env;
    });

    afterAll(async () => {
      await behind?.dispose();
      await db?.dispose();
    });

    it('finishes a request that is in flight when SIGTERM arrives, refuses new ones, and exits 0', async () => {
      const api = track(await startApi(env));
      expect((await fetch(`${api.url}/health/ready`)).status).toBe(200);

      proxy.latencyMs = 300; // every database answer now takes 300 ms: the probe stays in flight
      const inFlight = fetch(`${api.url}/health/ready`);
      await new Promise((resolve) => setTimeout(resolve, 150));
      api.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 50));
      const late = await fetch(`${api.url}/health/live`).then(
        (res) => res.status,
        () => 'refused',
      );

      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok' });
      expect([503, 'refused']).toContain(late);
      expect(await api.exited).toBe(0);
      proxy.latencyMs = 0;
    });
  });

  describe('the embedded data directory', () => {
    it('refuses a second process while the first holds it', async () => {
      const dataDir = makeTempDir();
      try {
        const first = track(await startApi({ ORDEROPS_DATA_DIR: dataDir }));
        const pid = String(first.child.pid);

        // The CLI reaches the database through the API's socket, but never migrates under it.
        const cli = runCli(['migrate'], { ORDEROPS_DATA_DIR: dataDir });
        expect(cli.status).toBe(1);
        expect(cli.stderr).toContain(`in use by process ${pid}; migrations never run beside it`);

        const second = track(await spawnApi({ ORDEROPS_DATA_DIR: dataDir }));
        expect(await second.exited).toBe(1);
        expect(second.stderr()).toContain(`in use by process ${pid}`);

        first.child.kill('SIGTERM');
        expect(await first.exited).toBe(0);
        // Released on exit: the next process opens the same data and finds it migrated.
        const after = runCli(['migrate'], { ORDEROPS_DATA_DIR: dataDir });
        expect(after.status, after.stderr).toBe(0);
        expect(after.stdout).toContain('up to date');
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
      // Two API boots and two CLI boots: a budget for a loaded machine, not a speed bound.
    }, 120_000);
  });

  describe('production refusals', () => {
    it('exits 1 naming every bad setting and printing no value', async () => {
      const dbPassword = `pw-${randomBytes(6).toString('hex')}`;
      const api = track(
        await spawnApi({
          NODE_ENV: 'production',
          ORDEROPS_DATA_DIR: makeTempDir(),
          DATABASE_URL: `postgres://orderops:${dbPassword}@127.0.0.1:1/orderops`,
          DATABASE_SSL_MODE: 'require',
          ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: 'changeme',
          ORDEROPS_ISSUER: 'https://orders.example.com',
        }),
      );
      expect(await api.exited).toBe(1);
      const stderr = api.stderr();
      for (const setting of [
        'ORDEROPS_MASTER_KEYS',
        'DATABASE_SSL_MODE',
        'ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD',
      ]) {
        expect(stderr).toContain(setting);
      }
      expect(stderr).not.toContain(dbPassword);
      expect(stderr).not.toContain('changeme');
      expect(api.stdout()).toBe('');
    });
  });
});
