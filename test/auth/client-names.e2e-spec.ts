import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
        errors: [{ field: 'name', code: 'clientNameTaken' }],
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
    expect(again.stderr.trim()).toBe(
      'orderops: Another client already has this name (names are compared without case or surrounding spaces); choose another. name name is already used by another client',
    );
  }, 120_000);
});
