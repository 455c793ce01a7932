import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, passwordGrant, postForm, TEST_OPERATOR_PASSWORD } from '../support/auth.js';
import { storedEvents } from '../support/audit.js';
import { runCli } from '../support/processes.js';
import { startTestApp } from '../support/test-app.js';
import { provisionTestDatabase, type TestDatabase } from '../support/test-database.js';

/** The one line an expected failure prints, asserted to be the whole of stderr. */
function oneErrorLine(res: { stderr: string }): string {
  const lines = res.stderr.trimEnd().split('\n');
  expect(lines, res.stderr).toHaveLength(1);
  expect(res.stderr).not.toMatch(/^\s+at /m);
  return lines[0];
}

const LAST_ADMIN =
  'orderops: This is the last enabled operator with the admin scope: it cannot be disabled or lose admin. ' +
  'Give another operator the admin scope first.';

// Each CLI run boots Nest and the database (seconds on a loaded machine); two app boots on top.
const BUDGET = 300_000;

describe('orderops operators list|disable|enable|set-scopes and clients list|delete (built CLI)', () => {
  let db: TestDatabase;
  const cli = (args: string[], input?: string) => runCli(args, db.env, input);
  beforeAll(async () => {
    db = await provisionTestDatabase();
    expect(cli(['migrate']).status).toBe(0);
  });
  afterAll(async () => db?.dispose());

  it(
    'changes operators under the admin API’s rules, audited with the cli as actor',
    async () => {
      const password = `${TEST_OPERATOR_PASSWORD}\n`;
      expect(cli(['operators', 'create', 'chief', '--scopes', 'admin'], password).status).toBe(0);
      expect(cli(['operators', 'create', 'Reader', '--scopes', 'orders:read'], password).status).toBe(0);

      const listed = cli(['operators', 'list']);
      expect(listed.status, listed.stderr).toBe(0);
      const reader = /^reader \(([0-9a-f-]{36})\) enabled, scopes: orders:read$/m.exec(listed.stdout);
      expect(reader, listed.stdout).not.toBeNull();
      expect(listed.stdout).toMatch(/^chief \([0-9a-f-]{36}\) enabled, scopes: admin$/m);

      // The last enabled admin: neither disabled nor stripped of admin, the API's 409 in CLI form.
      for (const args of [
        ['operators', 'disable', 'chief'],
        ['operators', 'set-scopes', 'chief', '--scopes', 'orders:read'],
      ]) {
        const refused = cli(args);
        expect(refused.status, args.join(' ')).toBe(1);
        expect(oneErrorLine(refused)).toBe(LAST_ADMIN);
      }

      // By username, any case, or by id.
      const scoped = cli(['operators', 'set-scopes', 'READER', '--scopes', 'orders:read,audit:read']);
      expect(scoped.status, scoped.stderr).toBe(0);
      expect(scoped.stdout).toMatch(
        /^Updated operator reader \(.+\) enabled, scopes: orders:read audit:read;/,
      );
      const disabled = cli(['operators', 'disable', reader![1]]);
      expect(disabled.status, disabled.stderr).toBe(0);
      expect(disabled.stdout).toContain('disabled, scopes: orders:read audit:read');

      const missing = cli(['operators', 'disable', 'ghost']);
      expect(missing.status).toBe(1);
      expect(oneErrorLine(missing)).toBe("orderops: no operator has the id or username 'ghost'");
      const badScope = cli(['operators', 'set-scopes', 'reader', '--scopes', 'root']);
      expect(badScope.status).toBe(1);
      expect(oneErrorLine(badScope)).toContain('orderops: unknown scope(s): root');
      const noScopes = cli(['operators', 'set-scopes', 'reader']);
      expect(noScopes.status).toBe(1);
      expect(oneErrorLine(noScopes)).toBe("orderops: required option '--scopes <scopes>' not specified");

      let t = await startTestApp(db.env);
      try {
        expect((await passwordGrant(t.app, 'reader', TEST_OPERATOR_PASSWORD)).statusCode).toBe(400);
        expect((await passwordGrant(t.app, 'chief', TEST_OPERATOR_PASSWORD)).statusCode).toBe(200);
        const ds = t.app.get(DataSource);
        const events = [
          ...(await storedEvents(ds, 'admin.operator.updated')),
          ...(await storedEvents(ds, 'admin.operator.disabled')),
        ];
        expect(events.map((e) => [e.action, e.actor_type, e.target_id])).toEqual([
          ['admin.operator.updated', 'system', reader![1]],
          ['admin.operator.disabled', 'system', reader![1]],
        ]);
        expect(events.map((e) => e.actor)).toEqual(['cli', 'cli']);
        // No username in the trail, not even the one typed on the command line.
        expect(JSON.stringify(events)).not.toMatch(/reader/i);
      } finally {
        await t.close();
      }

      expect(cli(['operators', 'enable', 'reader']).status).toBe(0);
      t = await startTestApp(db.env);
      try {
        const grant = await passwordGrant(t.app, 'reader', TEST_OPERATOR_PASSWORD);
        expect(grant.statusCode).toBe(200);
        expect(grant.json<{ scope: string }>().scope.split(' ').sort()).toEqual([
          'audit:read',
          'orders:read',
        ]);
      } finally {
        await t.close();
      }
    },
    BUDGET,
  );

  it(
    'lists and deletes partner clients; a deleted client’s credentials stop working; built-ins stay',
    async () => {
      const created = cli(['clients', 'create', 'Doomed', '--scopes', 'orders:read']);
      expect(created.status, created.stderr).toBe(0);
      const clientId = /client_id=(\S+)/.exec(created.stdout)![1];
      const secret = /client_secret=(\S+)/.exec(created.stdout)![1];

      const listed = cli(['clients', 'list']);
      expect(listed.status).toBe(0);
      expect(listed.stdout).toContain(`${clientId}  Doomed  confidential  scopes: orders:read`);
      expect(listed.stdout).toMatch(/^orderops-web {2}/m);
      expect(listed.stdout).not.toContain(secret);

      const deleted = cli(['clients', 'delete', clientId]);
      expect(deleted.status, deleted.stderr).toBe(0);
      expect(deleted.stdout).toBe(`Deleted client ${clientId}; its tokens no longer work\n`);
      expect(cli(['clients', 'list']).stdout).not.toContain(clientId);

      const again = cli(['clients', 'delete', clientId]);
      expect(again.status).toBe(1);
      expect(oneErrorLine(again)).toBe('orderops: No client has this id.');
      const builtIn = cli(['clients', 'delete', 'orderops-web']);
      expect(builtIn.status).toBe(1);
      expect(oneErrorLine(builtIn)).toBe('orderops: Built-in clients cannot be deleted.');

      const t = await startTestApp(db.env);
      try {
        const refused = await postForm(
          t.app,
          '/oauth/token',
          { grant_type: 'client_credentials' },
          basic(clientId, secret),
        );
        expect(refused.statusCode).toBe(401);
        const ds = t.app.get(DataSource);
        const [event] = await storedEvents(ds, 'admin.client.deleted');
        expect([event.actor, event.target_id]).toEqual(['cli', clientId]);
      } finally {
        await t.close();
      }
    },
    BUDGET,
  );
});
