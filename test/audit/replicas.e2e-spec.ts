import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggedEvents, sequenceNow, storedEvents, verifyViaApi } from '../support/audit.js';
import { basic, bearer, createClient, postForm, TEST_ADMIN_PASSWORD, tokenFor } from '../support/auth.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { databaseKind, provisionTestDatabase, type TestDatabase } from '../support/test-database.js';

const minuteWindow = (): number => Math.floor(Date.now() / 60_000);

/**
 * Several API instances on one database: two replicas on PostgreSQL. The embedded database
 * belongs to one process, so there the replicas are concurrent requests within it.
 */
describe(`replicas on one database (${databaseKind})`, () => {
  let db: TestDatabase;
  const replicas: TestApp[] = [];

  beforeAll(async () => {
    db = await provisionTestDatabase();
    const env = {
      ...db.env,
      ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      RATE_LIMIT_PER_MINUTE: '100000',
      STRICT_RATE_LIMIT_PER_MINUTE: '100000',
    };
    replicas.push(await startTestApp(env));
    if (databaseKind === 'postgres') replicas.push(await startTestApp(env));
  });
  afterAll(async () => {
    for (const r of replicas) await r.close();
    await db?.dispose();
  });

  const replica = (i: number): TestApp => replicas[i % replicas.length];

  it('appends from every replica at once form one log: every event sequenced once, contiguous, whichever replica sequences', async () => {
    const admin = (await tokenFor(replica(0).app, 'admin', TEST_ADMIN_PASSWORD)).access_token;
    const { clientId, clientSecret } = await createClient(replica(0).app, admin, 'Replicas', ['orders:read']);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        postForm(
          replica(i).app,
          '/oauth/token',
          { grant_type: 'client_credentials' },
          basic(clientId, clientSecret),
        ),
      ),
    );
    expect(results.filter((r) => r.statusCode !== 200)).toEqual([]);
    // Both replicas' sequencers race for the log (each also polls in the background).
    await Promise.all(replicas.map((r) => sequenceNow(r.app)));
    await Promise.all(replicas.map((r) => sequenceNow(r.app)));
    const ds = replica(1).app.get(DataSource);
    const events = await loggedEvents(ds);
    expect(await storedEvents(ds)).toHaveLength(events.length);
    expect(events.map((e) => Number(e.seq))).toEqual(events.map((_, i) => i + 1));
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(await verifyViaApi(replica(1).app, admin)).toMatchObject({ valid: true, pending: 0 });
  });

  it('a 403 repeated on every replica at once is recorded once per principal, route and minute', async () => {
    const weak = (await tokenFor(replica(0).app, 'admin', TEST_ADMIN_PASSWORD, 'orders:read')).access_token;
    const firstWindow = minuteWindow();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        replica(i).app.inject({ method: 'GET', url: '/admin/signing-keys', headers: bearer(weak) }),
      ),
    );
    const windows = minuteWindow() - firstWindow + 1;
    expect(results.every((r) => r.statusCode === 403)).toBe(true);
    const denied = (await storedEvents(replica(0).app.get(DataSource), 'auth.access.denied')).filter(
      (e) => e.target_id === 'GET /admin/signing-keys',
    );
    expect(denied.length).toBeGreaterThanOrEqual(1);
    expect(denied.length).toBeLessThanOrEqual(windows);
  });
});
