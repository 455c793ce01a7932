import { resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedEvents } from '../support/audit.js';
import { bearer, createClient, passwordGrant, TEST_ADMIN_PASSWORD, tokenFor } from '../support/auth.js';
import { runCli } from '../support/processes.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { databaseKind, sslEnv } from '../support/test-database.js';

/**
 * The database the e2e run leaves behind, for `orderops audit verify` in CI after the suite
 * (.ci/run): the embedded database in `.orderops-e2e/` (git-ignored), or the very database
 * DATABASE_URL names (not a throwaway copy). Migrated, given events, and not dropped; a
 * second run continues the same chain.
 */
const LEFT_BEHIND_DATA_DIR = resolve('.orderops-e2e');

function leftBehindEnv(): Record<string, string> {
  const url = process.env.DATABASE_URL;
  return { ORDEROPS_DATA_DIR: LEFT_BEHIND_DATA_DIR, ...(url ? { DATABASE_URL: url, ...sslEnv() } : {}) };
}

describe(`the database the suite leaves behind (${databaseKind})`, () => {
  const env = leftBehindEnv();
  let t: TestApp | undefined;
  let before = 0;

  beforeAll(async () => {
    t = await startTestApp({ ...env, ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD });
    before = (await storedEvents(t.app.get(DataSource))).length;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('gains audited actions of every kind', async () => {
    const app = t!.app;
    // The bootstrap admin exists from the first run on; its password is this suite's.
    const admin = (await tokenFor(app, 'admin', TEST_ADMIN_PASSWORD)).access_token;
    await createClient(app, admin, 'Left behind', ['orders:read']);
    await passwordGrant(app, 'nobody-here', 'not-a-password-at-all');
    const weak = (await tokenFor(app, 'admin', TEST_ADMIN_PASSWORD, 'orders:read')).access_token;
    expect(
      (await app.inject({ method: 'GET', url: '/audit/verify', headers: bearer(weak) })).statusCode,
    ).toBe(403);
    const verify = await app.inject({ method: 'GET', url: '/audit/verify', headers: bearer(admin) });
    expect(verify.json()).toMatchObject({ valid: true });
    expect((await storedEvents(app.get(DataSource))).length).toBeGreaterThanOrEqual(before + 4);
  });

  it('`orderops audit verify` on it reports valid (exit 0)', async () => {
    await t?.close();
    t = undefined;
    const res = runCli(['audit', 'verify'], env);
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ valid: true });
  });
});
