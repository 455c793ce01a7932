import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordGrant, TEST_ADMIN_PASSWORD } from '../support/auth.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { provisionTestDatabase, type TestDatabase } from '../support/test-database.js';

describe('concurrent logins', () => {
  let db: TestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    db = await provisionTestDatabase();
    t = await startTestApp({
      ...db.env,
      ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      STRICT_RATE_LIMIT_PER_MINUTE: '10000',
    });
  });
  afterAll(async () => {
    await t?.close();
    await db?.dispose();
  });

  it('40 simultaneous password grants all succeed, each with its own refresh token', async () => {
    const responses = await Promise.all(
      Array.from({ length: 40 }, () => passwordGrant(t.app, 'admin', TEST_ADMIN_PASSWORD)),
    );
    const failures = responses.filter((r) => r.statusCode !== 200).map((r) => `${r.statusCode} ${r.body}`);
    expect(failures).toEqual([]);
    const refreshTokens = new Set(responses.map((r) => r.json<{ refresh_token: string }>().refresh_token));
    expect(refreshTokens.size).toBe(40);
  });
});
