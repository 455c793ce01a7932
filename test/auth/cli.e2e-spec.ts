import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, passwordGrant, postForm, TEST_OPERATOR_PASSWORD } from '../support/auth.js';
import { runCli } from '../support/processes.js';
import { startTestApp } from '../support/test-app.js';
import { provisionTestDatabase, type TestDatabase } from '../support/test-database.js';

describe('orderops CLI (built)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await provisionTestDatabase();
  });
  afterAll(async () => db?.dispose());

  it('refuses feature commands until the schema is migrated', () => {
    const res = runCli(['keys', 'list'], db.env);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('run `orderops migrate` first');
  });

  // Eight CLI processes, each booting Nest and the database: a correctness test whose budget
  // covers a loaded CI machine (it timed out at 60 s at load 7), not a speed assertion.
  it('manages operators, clients and keys; the API accepts what the CLI created', async () => {
    expect(runCli(['migrate'], db.env).status).toBe(0);

    const op = runCli(
      ['operators', 'create', 'cli-ops', '--scopes', 'orders:read,audit:read'],
      db.env,
      `${TEST_OPERATOR_PASSWORD}\n`,
    );
    expect(op.status, op.stderr).toBe(0);
    expect(op.stdout).toContain('Created operator cli-ops');
    expect(op.stdout + op.stderr).not.toContain(TEST_OPERATOR_PASSWORD);

    const weak = runCli(
      ['operators', 'create', 'weakling', '--scopes', 'orders:read'],
      db.env,
      'password123\n',
    );
    expect(weak.status).toBe(1);
    expect(weak.stderr).not.toContain('password123');

    const badScope = runCli(
      ['operators', 'create', 'x-ops', '--scopes', 'orders:read,root'],
      db.env,
      `${TEST_OPERATOR_PASSWORD}\n`,
    );
    expect(badScope.status).toBe(1);
    expect(badScope.stderr).toContain('unknown scope');

    const client = runCli(['clients', 'create', 'Acme CLI', '--scopes', 'orders:read'], db.env);
    expect(client.status, client.stderr).toBe(0);
    const clientId = /client_id=(\S+)/.exec(client.stdout)?.[1];
    const secret = /client_secret=(\S+)/.exec(client.stdout)?.[1];
    expect(clientId).toMatch(/^ptn_/);
    expect(secret).toBeDefined();

    const listed = runCli(['keys', 'list'], db.env);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain('active');
    const rotated = runCli(['keys', 'rotate'], db.env);
    expect(rotated.status, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(/New signing key: \S+/);
    expect(runCli(['keys', 'list'], db.env).stdout).toContain('retired');

    const t = await startTestApp(db.env);
    try {
      expect((await passwordGrant(t.app, 'cli-ops', TEST_OPERATOR_PASSWORD)).statusCode).toBe(200);
      const cc = await postForm(
        t.app,
        '/oauth/token',
        { grant_type: 'client_credentials' },
        basic(clientId!, secret!),
      );
      expect(cc.statusCode).toBe(200);
    } finally {
      await t.close();
    }
  }, 180_000);
});
