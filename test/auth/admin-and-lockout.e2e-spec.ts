import { hash } from '@node-rs/argon2';
import { commonPasswordCount, LOCK_AFTER_FAILURES } from '@orderops/auth';
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  createOperator,
  passwordGrant,
  TEST_ADMIN_PASSWORD,
  TEST_OPERATOR_PASSWORD,
  tokenFor,
  type TokenBody,
} from '../support/auth.js';
import { startTestApp } from '../support/test-app.js';
import { provisionTestDatabase } from '../support/test-database.js';
import { useTestApp } from '../support/use-test-app.js';

describe('admin API, password policy and brute-force protection', () => {
  const t = useTestApp({ env: { STRICT_RATE_LIMIT_PER_MINUTE: '10000' }, signIn: ['admin'] });
  let admin: TokenBody;
  beforeAll(() => {
    admin = t.grant('admin');
  });

  const createOp = (payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/admin/operators', headers: bearer(admin.access_token), payload });

  describe('operators', () => {
    it('creates, lists and reads an operator without ever returning the password hash', async () => {
      const res = await createOp({
        username: 'Alice.Ops',
        password: TEST_OPERATOR_PASSWORD,
        scopes: ['orders:read'],
      });
      expect(res.statusCode).toBe(201);
      const created = res.json<Record<string, unknown>>();
      expect(created).toMatchObject({
        username: 'alice.ops',
        scopes: ['orders:read'],
        disabled: false,
        locked: false,
      });
      expect(Object.keys(created).sort()).toEqual(
        ['createdAt', 'disabled', 'id', 'locked', 'scopes', 'updatedAt', 'username'].sort(),
      );
      const list = await t.app.inject({
        method: 'GET',
        url: '/admin/operators',
        headers: bearer(admin.access_token),
      });
      expect(list.body).not.toMatch(/argon2|password/i);
      const one = await t.app.inject({
        method: 'GET',
        url: `/admin/operators/${String(created.id)}`,
        headers: bearer(admin.access_token),
      });
      expect(one.json()).toMatchObject({ username: 'alice.ops' });
    });

    it('refuses a duplicate username, case-insensitively', async () => {
      await createOp({ username: 'dup', password: TEST_OPERATOR_PASSWORD, scopes: [] });
      const res = await createOp({ username: 'DUP', password: TEST_OPERATOR_PASSWORD, scopes: [] });
      expect(res.statusCode).toBe(409);
    });

    it.each([
      ['too short', 'short-pass1'],
      ['too long', 'x'.repeat(257)],
      ['common', 'password1234'],
      ['containing the username', 'my-name-is-policyuser-ok'],
    ])('refuses a password that is %s, without echoing it', async (_, password) => {
      const res = await createOp({ username: 'policyuser', password, scopes: [] });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ errors: [{ field: 'password', code: 'weak_password' }] });
      expect(res.body).not.toContain(password);
    });

    it('accepts a long passphrase without composition rules, counting characters not bytes', async () => {
      const res = await createOp({ username: 'unicode', password: 'ünïcødé façade ☕☕', scopes: [] });
      expect(res.statusCode).toBe(201);
    });

    it('ships a common-password list of at least 10,000 entries', () => {
      expect(commonPasswordCount()).toBeGreaterThanOrEqual(10_000);
    });

    it.each([
      [{ username: 'ab', password: TEST_OPERATOR_PASSWORD, scopes: [] }, 'username'],
      [{ username: 'bad name!', password: TEST_OPERATOR_PASSWORD, scopes: [] }, 'username'],
      [{ username: 'okname', password: TEST_OPERATOR_PASSWORD, scopes: ['root'] }, 'scopes'],
      [{ username: 'okname', password: TEST_OPERATOR_PASSWORD, scopes: [], extra: true }, 'extra'],
    ])('validates the body (%j)', async (payload, field) => {
      const res = await createOp(payload);
      expect(res.statusCode).toBe(400);
      expect(res.json<{ errors: { field: string }[] }>().errors.map((e) => e.field)).toContain(field);
    });

    it('changing scopes voids existing tokens', async () => {
      const op = await createOperator(t.app, admin.access_token, 'scoped', ['orders:read', 'admin']);
      const token = await tokenFor(t.app, 'scoped', TEST_OPERATOR_PASSWORD);
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/admin/operators/${op.id}`,
        headers: bearer(admin.access_token),
        payload: { scopes: ['orders:read'] },
      });
      expect(res.json()).toMatchObject({ scopes: ['orders:read'] });
      const call = await t.app.inject({
        method: 'GET',
        url: '/admin/operators',
        headers: bearer(token.access_token),
      });
      expect(call.statusCode).toBe(401);
    });

    it('answers 404 for an unknown operator and 400 for a malformed id', async () => {
      const missing = await t.app.inject({
        method: 'GET',
        url: '/admin/operators/5f0c7a3e-8d7b-4f38-9b55-0a3b3c1d2e4f',
        headers: bearer(admin.access_token),
      });
      expect(missing.statusCode).toBe(404);
      const malformed = await t.app.inject({
        method: 'GET',
        url: '/admin/operators/not-a-uuid',
        headers: bearer(admin.access_token),
      });
      expect(malformed.statusCode).toBe(400);
    });
  });

  describe('clients', () => {
    it('shows the secret once and stores only a keyed hash', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/admin/clients',
        headers: bearer(admin.access_token),
        payload: { name: 'Partner', scopes: ['orders:read'] },
      });
      expect(res.statusCode).toBe(201);
      const { clientId, clientSecret } = res.json<{ clientId: string; clientSecret: string }>();
      expect(Buffer.from(clientSecret, 'base64url')).toHaveLength(32);
      const list = await t.app.inject({
        method: 'GET',
        url: '/admin/clients',
        headers: bearer(admin.access_token),
      });
      expect(list.body).toContain(clientId);
      expect(list.body).not.toContain(clientSecret);
      const rows = await t.app
        .get(DataSource)
        .query<Record<string, unknown>[]>('SELECT * FROM oauth_clients');
      expect(JSON.stringify(rows)).not.toContain(clientSecret);
    });

    it('refuses to delete a built-in client and answers 404 for an unknown one', async () => {
      const builtIn = await t.app.inject({
        method: 'DELETE',
        url: '/admin/clients/orderops-web',
        headers: bearer(admin.access_token),
      });
      expect(builtIn.statusCode).toBe(409);
      const unknown = await t.app.inject({
        method: 'DELETE',
        url: '/admin/clients/ptn_nothing',
        headers: bearer(admin.access_token),
      });
      expect(unknown.statusCode).toBe(404);
    });
  });

  describe('account lockout', () => {
    it(`locks after ${LOCK_AFTER_FAILURES} failures, answering exactly like a wrong password`, async () => {
      const op = await createOperator(t.app, admin.access_token, 'target', ['orders:read']);
      const wrong = await passwordGrant(t.app, 'target', 'wrong-password-000');
      for (let i = 1; i < LOCK_AFTER_FAILURES; i++)
        await passwordGrant(t.app, 'target', 'wrong-password-000');
      const locked = await passwordGrant(t.app, 'target', TEST_OPERATOR_PASSWORD);
      expect(locked.statusCode).toBe(400);
      expect(locked.body).toBe(wrong.body);

      const [row] = await t.app
        .get(DataSource)
        .query<{ locked_until: Date; failed_login_count: number }[]>(
          'SELECT locked_until, failed_login_count FROM operators WHERE id = $1',
          [op.id],
        );
      const lockSeconds = (new Date(row.locked_until).getTime() - Date.now()) / 1000;
      expect(lockSeconds).toBeGreaterThan(0);
      expect(lockSeconds).toBeLessThanOrEqual(15 * 60);

      // The admin sees the lock; a password reset lifts it.
      const view = await t.app.inject({
        method: 'GET',
        url: `/admin/operators/${op.id}`,
        headers: bearer(admin.access_token),
      });
      expect(view.json()).toMatchObject({ locked: true });
      await t.app.inject({
        method: 'PATCH',
        url: `/admin/operators/${op.id}`,
        headers: bearer(admin.access_token),
        payload: { password: 'fresh-start-passphrase-9' },
      });
      expect((await passwordGrant(t.app, 'target', 'fresh-start-passphrase-9')).statusCode).toBe(200);
    });
    // Doubling, per-address keying and saturation: test/auth/lockout.e2e-spec.ts.
  });
});

describe('password hash upgrade', () => {
  it('rehashes on login when the stored hash was made with other parameters', async () => {
    const db = await provisionTestDatabase();
    const t = await startTestApp({ ...db.env, ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD });
    try {
      const admin = (await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD)).access_token;
      const op = await createOperator(t.app, admin, 'legacy', ['orders:read']);
      const weaker = await hash(TEST_OPERATOR_PASSWORD, { memoryCost: 4096, timeCost: 1, parallelism: 1 });
      const ds = t.app.get(DataSource);
      await ds.query('UPDATE operators SET password_hash = $2 WHERE id = $1', [op.id, weaker]);
      expect((await passwordGrant(t.app, 'legacy', TEST_OPERATOR_PASSWORD)).statusCode).toBe(200);
      const [row] = await ds.query<{ password_hash: string }[]>(
        'SELECT password_hash FROM operators WHERE id = $1',
        [op.id],
      );
      expect(row.password_hash).not.toBe(weaker);
      expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    } finally {
      await t.close();
      await db.dispose();
    }
  });
});

describe('per-address limit on the token endpoint', () => {
  it('answers 429 with Retry-After once the strict limit is passed', async () => {
    const db = await provisionTestDatabase();
    const t = await startTestApp({ ...db.env, STRICT_RATE_LIMIT_PER_MINUTE: '3' });
    try {
      for (let i = 0; i < 3; i++)
        expect((await passwordGrant(t.app, 'x-user', 'whatever-pass-1')).statusCode).toBe(400);
      const limited = await passwordGrant(t.app, 'x-user', 'whatever-pass-1');
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Other routes keep their own, wider limit.
      expect((await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).statusCode).toBe(200);
    } finally {
      await t.close();
      await db.dispose();
    }
  });
});

describe('bootstrap in development without a configured password', () => {
  it('writes a random admin password to <data dir>/bootstrap-admin.txt (0600) and logs only the path', async () => {
    const db = await provisionTestDatabase();
    const t = await startTestApp(db.env);
    try {
      const file = join(t.config.dataDir, 'bootstrap-admin.txt');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const password = readFileSync(file, 'utf8').trim();
      expect(password.length).toBeGreaterThanOrEqual(20);
      expect(t.logs.text).toContain(file);
      expect(t.logs.text).not.toContain(password);
      expect((await passwordGrant(t.app, 'admin', password)).statusCode).toBe(200);
      const clients = await t.app
        .get(DataSource)
        .query<{ client_id: string }[]>('SELECT client_id FROM oauth_clients ORDER BY client_id');
      expect(clients.map((c) => c.client_id)).toEqual(['orderops-docs', 'orderops-web']);
    } finally {
      await t.close();
      await db.dispose();
    }
  });
});
