import { Database } from '@orderops/core';
import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import { APP_SCHEMAS } from '../apps/api/src/app.module.js';
import type { TcpProxy } from './support/tcp-proxy.js';
import { startTestApp } from './support/test-app.js';
import { databaseKind, type TestDatabase } from './support/test-database.js';
import { useTestApp } from './support/use-test-app.js';

describe('database', () => {
  describe('migrations', () => {
    const t = useTestApp({ bootstrapAdmin: false });
    let db: TestDatabase;
    beforeAll(() => {
      db = t.db;
    });

    it('are applied at start in development and recorded', async () => {
      const ds = t.app.get(DataSource);
      const rows = await ds.query<{ name: string }[]>('SELECT name FROM schema_migrations ORDER BY id');
      // TypeORM applies migrations in the order of their timestamps, across libs.
      const timestampOf = (name: string): number => Number(/\d{13}$/.exec(name)?.[0]);
      const expected = [
        'CreateInstance1732320000000',
        ...APP_SCHEMAS.flatMap((s) => s.migrations.map((m) => m.name)),
      ].sort((a, b) => timestampOf(a) - timestampOf(b));
      expect(rows.map((r) => r.name)).toEqual(expected);
      expect(expected).toContain('CreateAuth1732400000000');
      const instance = await ds.query<{ instance_id: string }[]>('SELECT instance_id FROM orderops_instance');
      expect(instance).toHaveLength(1);
      expect(await t.app.get(Database).hasPendingMigrations()).toBe(false);
    });

    it('match the entities exactly: a generated migration would be empty', async () => {
      const ds = t.app.get(DataSource);
      const diff = await ds.driver.createSchemaBuilder().log();
      expect(diff.upQueries.map((q) => q.query)).toEqual([]);
    });

    it.runIf(databaseKind === 'postgres' && process.env.DATABASE_SSL_MODE === 'verify-full')(
      'connects to the real server over TLS',
      async () => {
        const rows = await t.app
          .get(DataSource)
          .query<{ ssl: boolean }[]>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
        expect(rows).toEqual([{ ssl: true }]);
      },
    );

    it.runIf(databaseKind === 'postgres' && process.env.DATABASE_SSL_MODE === 'verify-full')(
      'refuses a server certificate that the configured trust does not vouch for',
      async () => {
        // Without DATABASE_SSL_CA the system trust store is used, which never signed the CI CA.
        const env = { ...db.env, DATABASE_SSL_CA: '', DATABASE_SSL_CA_FILE: '' };
        await expect(startTestApp(env)).rejects.toThrow(/certificate/i);
      },
    );

    it('serves many concurrent parameterised queries and transactions without crosstalk', async () => {
      const ds = t.app.get(DataSource);
      const queries = Array.from({ length: 200 }, (_, i) =>
        ds.query<{ v: number; s: string }[]>('SELECT $1::int * 2 AS v, $2::text AS s', [i, `s${i}`]),
      );
      const transactions = Array.from({ length: 20 }, (_, i) =>
        ds.transaction(async (manager) => {
          const [row] = await manager.query<{ v: number }[]>('SELECT $1::int AS v', [i]);
          // Hold the transaction open while other connections queue up behind it.
          await new Promise((resolve) => setTimeout(resolve, 5));
          const [again] = await manager.query<{ v: number }[]>('SELECT $1::int + $2::int AS v', [
            row.v,
            1000,
          ]);
          return again.v;
        }),
      );
      const [rows, sums] = await Promise.all([Promise.all(queries), Promise.all(transactions)]);
      rows.forEach((r, i) => expect(r).toEqual([{ v: i * 2, s: `s${i}` }]));
      expect(sums).toEqual(Array.from({ length: 20 }, (_, i) => i + 1000));
    });

    it('are never synchronized implicitly', () => {
      expect(t.app.get(DataSource).options.synchronize).toBe(false);
    });

    it('the embedded socket accepts at least the pool size in connections', async () => {
      const database = t.app.get(Database);
      const clients = Array.from({ length: t.config.database.poolSize }, () =>
        database.dataSource.query('SELECT pg_sleep(0.05)'),
      );
      await expect(Promise.all(clients)).resolves.toHaveLength(t.config.database.poolSize);
    });

    it('serves concurrent hot reads with their own parameters on every connection', async () => {
      const database = t.app.get(Database);
      const sql = 'SELECT $1::int * 3 AS v, $2::text AS s';
      const reads = Array.from({ length: 100 }, (_, i) =>
        database.read<{ v: number; s: string }>(sql, [i, `r${i}`]),
      );
      (await Promise.all(reads)).forEach((rows, i) => expect(rows).toEqual([{ v: i * 3, s: `r${i}` }]));
    });

    it('prepares hot reads once per connection on PostgreSQL, never on the shared embedded session', async () => {
      const sql = 'SELECT statement FROM pg_prepared_statements WHERE statement LIKE $1';
      const rows = await t.app.get(Database).read<{ statement: string }>(sql, ['%pg_prepared_statements%']);
      // A prepared read sees itself among the session's statements; an unprepared one does not.
      expect(rows.map((r) => r.statement)).toEqual(databaseKind === 'postgres' ? [sql] : []);
    });
  });

  describe('readiness follows the database', () => {
    const t = useTestApp({ bootstrapAdmin: false, behindProxy: true });
    let proxy: TcpProxy;
    beforeAll(() => {
      proxy = t.proxy;
    });

    const ready = () => t.app.inject({ method: 'GET', url: '/health/ready' });

    it('is ready while the database answers, 503 while it is down, and ready again once it is back', async () => {
      expect((await ready()).statusCode).toBe(200);

      proxy.cut();
      const down = await ready();
      expect(down.statusCode).toBe(503);
      expect(down.headers['content-type']).toContain('application/problem+json');
      expect(down.json()).toMatchObject({ status: 503, checks: { database: 'down' } });
      // Liveness does not depend on the database: restarting the pod would not help.
      expect((await t.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);

      proxy.restore();
      let status = 0;
      for (let attempt = 0; attempt < 20 && status !== 200; attempt++) {
        status = (await ready()).statusCode;
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(status).toBe(200);
    });
  });
});
