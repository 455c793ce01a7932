import { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { loggedEvents, sequenceNow, storedEvents, verifyViaApi } from '../support/audit.js';
import { basic, createClient, postForm, TEST_ADMIN_PASSWORD, tokenFor } from '../support/auth.js';
import { databaseKind } from '../support/test-database.js';
import { useTestApp } from '../support/use-test-app.js';

const WRITERS = 50;
const EVENTS_PER_WRITER = 200;

describe(`concurrent appends (${databaseKind})`, () => {
  const t = useTestApp({
    env: { RATE_LIMIT_PER_MINUTE: '100000', STRICT_RATE_LIMIT_PER_MINUTE: '100000', LOG_LEVEL: 'warn' },
  });

  it(`${WRITERS} writers x ${EVENTS_PER_WRITER} audited requests: every event logged once, contiguous seq`, async () => {
    const admin = (await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD)).access_token;
    const { clientId, clientSecret } = await createClient(t.app, admin, 'Load writer', ['orders:read']);
    const ds = t.app.get(DataSource);
    const before = (await storedEvents(ds)).length;

    // Each client_credentials grant appends one auth.token.issued event in its own transaction.
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        for (let i = 0; i < EVENTS_PER_WRITER; i++) {
          const res = await postForm(
            t.app,
            '/oauth/token',
            { grant_type: 'client_credentials' },
            basic(clientId, clientSecret),
          );
          if (res.statusCode !== 200) failures.push(`${res.statusCode} ${res.body}`);
        }
      }),
    );
    expect(failures.slice(0, 3)).toEqual([]);

    await sequenceNow(t.app);
    const events = await loggedEvents(ds);
    expect(await storedEvents(ds)).toHaveLength(events.length);
    expect(events.length - before).toBe(WRITERS * EVENTS_PER_WRITER);
    expect(events.filter((e) => e.action === 'auth.token.issued' && e.actor === clientId)).toHaveLength(
      WRITERS * EVENTS_PER_WRITER,
    );
    expect(events.map((e) => Number(e.seq))).toEqual(events.map((_, i) => i + 1));
    expect(new Set(events.map((e) => e.target_id)).size).toBeGreaterThanOrEqual(WRITERS * EVENTS_PER_WRITER);
    expect(await verifyViaApi(t.app, admin)).toMatchObject({ valid: true, checked: events.length });
  }, 300_000);
});
