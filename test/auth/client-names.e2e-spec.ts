import { Database, loadConfig, mergeSchemas } from '@orderops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_SCHEMAS } from '../../apps/api/src/app.module.js';
import { bearer } from '../support/auth.js';
import { runCli } from '../support/processes.js';
import { provisionTestDatabase, type TestDatabase } from '../support/test-database.js';
import { useTestApp } from '../support/use-test-app.js';

/** One client per name (issue 14 §4), compared without case or surrounding spaces: API and CLI. */

describe('client names are unique: POST /admin/clients', () => {
  const t = useTestApp({ signIn: ['admin'] });

  const create = (name: string) =>
    t.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: bearer(t.token('admin')),
      payload: { name, scopes: ['orders:read'] },
    });

  it('refuses a second client with the same name as a 409 problem, and creates nothing', async () => {
    expect((await create('Acme Fulfilment')).statusCode).toBe(201);
    for (const same of ['Acme Fulfilment', 'acme fulfilment', '  ACME Fulfilment ']) {
      const res = await create(same);
      expect(res.statusCode, same).toBe(409);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(
        res.json<{ type: string; detail: string; errors: { field: string; code: string }[] }>(),
      ).toMatchObject({
        type: 'urn:orderops:problem:client-name-taken',
        detail:
          'Another client already has this name (names are compared without case or surrounding spaces); choose another.',
        errors: [{ field: 'name', code: 'already_used' }],
      });
    }
    const list = await t.app.inject({
      method: 'GET',
      url: '/admin/clients',
      headers: bearer(t.token('admin')),
    });
    // The list masks names by field name; the one partner client is the first one created.
    expect(list.json<{ type: string }[]>().filter((c) => c.type === 'confidential')).toHaveLength(1);
  });

  it('accepts a different name, and a name freed by deleting its client', async () => {
    expect((await create('Acme Fulfilment EU')).statusCode).toBe(201);
    const gone = (await create('Short Lived Partner')).json<{ clientId: string }>();
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/admin/clients/${gone.clientId}`,
      headers: bearer(t.token('admin')),
    });
    expect(del.statusCode).toBe(204);
    expect((await create('Short Lived Partner')).statusCode).toBe(201);
  });
});

describe('client names are unique: orderops clients create', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await provisionTestDatabase();
  });
  afterAll(async () => db?.dispose());

  it('exits 1 with one clear line for a taken name, and prints no secret', () => {
    expect(runCli(['migrate'], db.env).status).toBe(0);
    const first = runCli(['clients', 'create', 'CLI Partner', '--scopes', 'orders:read'], db.env);
    expect(first.status, first.stderr).toBe(0);
    const again = runCli(['clients', 'create', 'cli partner', '--scopes', 'orders:read'], db.env);
    expect(again.status).toBe(1);
    expect(again.stdout).not.toContain('client_secret');
    // The CLI prints a refusal's field messages in its own words (see the CLI's error lines).
    expect(again.stderr.trim()).toBe('orderops: name: name is already used by another client');
  }, 120_000);
});

describe('client names are unique: upgrading a database where names were shared', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await provisionTestDatabase();
  });
  afterAll(async () => db?.dispose());

  it('keeps the oldest name and appends the client id to the later ones, then enforces uniqueness', async () => {
    const config = loadConfig({ NODE_ENV: 'test', ...db.env });
    const all = mergeSchemas(APP_SCHEMAS).migrations;
    // The schema before the rule: every migration older than it, on a fresh database.
    const rule = all.findIndex((m) => m.name === 'UniqueClientNames1733300000002');
    expect(rule).toBeGreaterThan(0);
    const before = await Database.open(config, { entities: [], migrations: all.slice(0, rule) });
    try {
      await before.migrate();
      await before.dataSource
        .query(`INSERT INTO oauth_clients (client_id, name, type, grant_types, scopes, created_at) VALUES
        ('ptn_twin_a', 'Twin Partner', 'confidential', '{client_credentials}', '{orders:read}', now() - interval '3 days'),
        ('ptn_twin_b', 'twin partner ', 'confidential', '{client_credentials}', '{orders:read}', now() - interval '2 days'),
        ('ptn_twin_c', 'TWIN PARTNER', 'confidential', '{client_credentials}', '{orders:read}', now() - interval '1 day'),
        ('ptn_other', 'Other Partner', 'confidential', '{client_credentials}', '{orders:read}', now())`);
    } finally {
      await before.close();
    }
    const upgraded = await Database.open(config, { entities: [], migrations: all });
    try {
      await upgraded.migrate();
      const ds = upgraded.dataSource;
      const rows = await ds.query<{ client_id: string; name: string }[]>(
        `SELECT client_id, name FROM oauth_clients WHERE client_id LIKE 'ptn_%' ORDER BY client_id`,
      );
      expect(rows).toEqual([
        { client_id: 'ptn_other', name: 'Other Partner' },
        { client_id: 'ptn_twin_a', name: 'Twin Partner' },
        { client_id: 'ptn_twin_b', name: 'twin partner  (ptn_twin_b)' },
        { client_id: 'ptn_twin_c', name: 'TWIN PARTNER (ptn_twin_c)' },
      ]);
      await expect(
        ds.query(`INSERT INTO oauth_clients (client_id, name, type, grant_types, scopes)
          VALUES ('ptn_twin_d', ' twin partner', 'confidential', '{client_credentials}', '{orders:read}')`),
      ).rejects.toThrow(/UQ_oauth_clients_name/);
    } finally {
      await upgraded.close();
    }
  });
});
