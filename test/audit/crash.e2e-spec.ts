import { AuditLog, AuditSequencer, AuditService, computeLeafHash } from '@orderops/audit';
import { Metrics } from '@orderops/core';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggedEvents, sequenceNow, storedEvents } from '../support/audit.js';
import { TEST_ADMIN_PASSWORD } from '../support/auth.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import {
  adminSsl,
  databaseKind,
  provisionTestDatabase,
  type TestDatabase,
} from '../support/test-database.js';
import { useTestApp } from '../support/use-test-app.js';

const actor = { type: 'system', id: 'test' } as const;

/** Audited writes of their own (one event each), as a failed login or a 403 records them. */
const write = (app: TestApp['app'], action: string, count: number): Promise<void[]> =>
  Promise.all(Array.from({ length: count }, () => app.get(AuditService).recordAlone({ action, actor })));

/** The log holds every stored event exactly once, at seq 1..n, and verifies. */
async function expectOneValidLog(app: TestApp['app']): Promise<number> {
  const ds = app.get(DataSource);
  const events = await loggedEvents(ds);
  expect(await storedEvents(ds)).toHaveLength(events.length);
  expect(events.map((e) => Number(e.seq))).toEqual(events.map((_, i) => i + 1));
  expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  expect(await app.get(AuditLog).verify()).toMatchObject({ valid: true, pending: 0, checked: events.length });
  return events.length;
}

/** A second sequencer in this process, as another replica runs one (same database, own batches). */
function anotherSequencer(app: TestApp['app']): AuditSequencer {
  const sequencer = app.get(AuditSequencer);
  return new AuditSequencer(
    app.get(DataSource),
    Reflect.get(sequencer, 'repository') as ConstructorParameters<typeof AuditSequencer>[1],
    app.get(Metrics),
  );
}

/** A connection of the suite's own to the app's database (PostgreSQL only). */
async function ownConnection(db: TestDatabase): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.env.DATABASE_URL, ssl: adminSsl() });
  // Its backend is terminated on purpose: the error that follows is expected.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/**
 * Failures in the middle of the write path: a writer whose session dies inside its audited
 * transaction, a sequencer batch that fails after giving out seqs, sequencers racing each
 * other, and a sequencer that dies holding the lock.
 */
describe(`audit log under crashes (${databaseKind})`, () => {
  const t = useTestApp({ env: { RATE_LIMIT_PER_MINUTE: '100000', STRICT_RATE_LIMIT_PER_MINUTE: '100000' } });
  let ds: DataSource;
  let sequencer: AuditSequencer;
  beforeAll(async () => {
    ds = t.app.get(DataSource);
    sequencer = t.app.get(AuditSequencer);
    // The cases decide when this app sequences: its background poll stops (drain still works).
    await sequencer.onModuleDestroy();
    await sequencer.drain();
  });

  it.runIf(databaseKind === 'postgres')(
    'a writer that dies mid-transaction leaves no event and blocks no other writer nor the sequencer',
    async () => {
      const doomed = await ownConnection(t.db);
      try {
        const [{ pid }] = (await doomed.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
        const event = {
          id: randomUUID(),
          at: new Date(),
          actor: actor.id,
          actorType: actor.type,
          action: 'test.crash.doomed',
          targetType: null,
          targetId: null,
          outcome: 'success',
          requestId: null,
          details: {},
        };
        await doomed.query('BEGIN');
        // As the repository's insert does (the audited change itself would be here too).
        await doomed.query(
          `INSERT INTO audit_events (id, at, actor, actor_type, action, outcome, details, leaf_hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)`,
          [
            event.id,
            event.at,
            event.actor,
            event.actorType,
            event.action,
            event.outcome,
            '{}',
            computeLeafHash(event),
          ],
        );
        // While it is open: other audited writes commit and the sequencer integrates them.
        const before = (await loggedEvents(ds)).length;
        await write(t.app, 'test.crash.alongside', 20);
        expect(await sequencer.drain()).toBe(20);
        expect((await loggedEvents(ds)).length).toBe(before + 20);
        const [open] = await ds.query<{ state: string }[]>(
          'SELECT state FROM pg_stat_activity WHERE pid = $1',
          [pid],
        );
        expect(open?.state).toBe('idle in transaction');
        // Its session dies before COMMIT.
        const [killed] = await ds.query<{ ok: boolean }[]>('SELECT pg_terminate_backend($1) AS ok', [pid]);
        expect(killed.ok).toBe(true);
        await expect(doomed.query('COMMIT')).rejects.toThrow();
      } finally {
        await doomed.end().catch(() => undefined);
      }
      expect(await storedEvents(ds, 'test.crash.doomed')).toEqual([]);
      await write(t.app, 'test.crash.after', 5);
      expect(await sequencer.drain()).toBe(5);
      await expectOneValidLog(t.app);
    },
  );

  it('a sequencer batch that fails after giving out seqs rolls back whole; the next drain sequences each event once, no gaps', async () => {
    await sequencer.drain();
    const before = (await loggedEvents(ds)).length;
    // A sequence, not a table: nextval survives the batch's rollback, so it fails exactly once.
    await ds.query('CREATE SEQUENCE test_fail_once');
    await ds.query(`CREATE FUNCTION test_fail_sequencing() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('test_fail_once') = 1 THEN
          RAISE EXCEPTION 'test: sequencer dies mid-batch, seq up to % given',
            (SELECT max(seq) FROM audit_events);
        END IF;
        RETURN NEW;
      END $$`);
    await ds.query(`CREATE TRIGGER test_fail_sequencing BEFORE INSERT ON audit_tree_heads
      FOR EACH ROW EXECUTE FUNCTION test_fail_sequencing()`);
    try {
      await write(t.app, 'test.crash.batch', 30);
      const failure = sequencer.drain();
      await expect(failure).rejects.toThrow(/sequencer dies mid-batch, seq up to \d+ given/);
      // The batch had numbered all 30 (after the nodes, at its head) when it failed.
      const given = Number(/up to (\d+)/.exec(String(await failure.catch((e: unknown) => e)))?.[1]);
      expect(given).toBe(before + 30);
      // ...and none of it stayed.
      const rows = await storedEvents(ds, 'test.crash.batch');
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 30 }, () => null));
      expect((await loggedEvents(ds)).length).toBe(before);
      expect(await sequencer.drain()).toBe(30);
    } finally {
      await ds.query('DROP TRIGGER test_fail_sequencing ON audit_tree_heads');
      await ds.query('DROP FUNCTION test_fail_sequencing()');
      await ds.query('DROP SEQUENCE test_fail_once');
    }
    expect(await expectOneValidLog(t.app)).toBe(before + 30);
    const batch = await storedEvents(ds, 'test.crash.batch');
    expect(batch.map((e) => Number(e.seq))).toEqual(batch.map((_, i) => before + i + 1));
  });

  describe('sequencers racing while writers write', () => {
    let second: TestApp | undefined;
    beforeAll(async () => {
      if (databaseKind !== 'postgres') return;
      // Another API replica on the same database; its poll stops too, so every batch is counted here.
      second = await startTestApp({ ...t.db.env, ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD });
      await second.app.get(AuditSequencer).onModuleDestroy();
    });
    afterAll(async () => {
      await second?.close();
    });

    it('produce one log: each event sequenced once by exactly one of them, contiguous, valid', async () => {
      await sequencer.drain();
      const before = (await loggedEvents(ds)).length;
      const sequencers = [sequencer, anotherSequencer(t.app)];
      if (second) sequencers.push(second.app.get(AuditSequencer), anotherSequencer(second.app));
      const writers = second ? [t.app, second.app] : [t.app];
      let writing = true;
      const integrated = sequencers.map(() => 0);
      let rounds = 0;
      const racing = (async () => {
        while (writing) {
          const counts = await Promise.all(sequencers.map((s) => s.drain()));
          counts.forEach((c, i) => (integrated[i] += c));
          rounds++;
        }
      })();
      for (let wave = 0; wave < 10; wave++) {
        await Promise.all(writers.map((app) => write(app, 'test.crash.race', 20)));
      }
      writing = false;
      await racing;
      const last = await Promise.all(sequencers.map((s) => s.drain()));
      last.forEach((c, i) => (integrated[i] += c));
      const written = 10 * 20 * writers.length;
      expect(rounds).toBeGreaterThan(0);
      // No event counted twice: the batches of all sequencers add up to what the log grew by.
      expect(integrated.reduce((a, b) => a + b, 0)).toBe(written);
      expect(await expectOneValidLog(t.app)).toBe(before + written);
      if (second) expect((await second.app.get(AuditLog).verify()).valid).toBe(true);
    });
  });
});

/**
 * Two replicas polling in the background as in production; one's sequencer stalls inside its
 * batch holding the advisory lock, and its session is killed: the other takes over.
 */
describe.runIf(databaseKind === 'postgres')('a sequencer that dies holding the lock (postgres)', () => {
  let db: TestDatabase;
  const replicas: TestApp[] = [];
  beforeAll(async () => {
    db = await provisionTestDatabase();
    const env = { ...db.env, ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD };
    replicas.push(await startTestApp(env), await startTestApp(env));
  });
  afterAll(async () => {
    for (const r of replicas) await r.close();
    await db?.dispose();
  });

  it('the other replica takes over within a few polls; the log stays one, contiguous and valid', async () => {
    const [a, b] = replicas;
    const ds = a.app.get(DataSource);
    await sequenceNow(a.app);
    // The next batch to reach its tree head (whichever replica runs it) stalls there, once.
    await ds.query('CREATE SEQUENCE test_stall_once');
    await ds.query(`CREATE FUNCTION test_stall_sequencing() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('test_stall_once') = 1 THEN PERFORM pg_sleep(600); END IF;
        RETURN NEW;
      END $$`);
    await ds.query(`CREATE TRIGGER test_stall_sequencing BEFORE INSERT ON audit_tree_heads
      FOR EACH ROW EXECUTE FUNCTION test_stall_sequencing()`);
    const watcher = await ownConnection(db);
    try {
      await write(a.app, 'test.crash.stalled', 10);
      // Find the session that holds the sequencer's advisory lock and sleeps in the trigger.
      const holder = async (): Promise<number | undefined> => {
        const { rows } = await watcher.query<{ pid: number }>(
          `SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE l.locktype = 'advisory' AND l.granted AND l.database =
             (SELECT oid FROM pg_database WHERE datname = current_database())
           AND a.wait_event = 'PgSleep'`,
        );
        return rows[0]?.pid;
      };
      let pid: number | undefined;
      for (let poll = 0; poll < 600 && pid === undefined; poll++) {
        pid = await holder();
        if (pid === undefined) await sleep(50);
      }
      expect(pid, 'a sequencer holding the lock, stalled').toBeDefined();
      // While it holds the lock, nobody else sequences: a fresh batch on either replica finds it
      // taken (their own pollers' next batch queues behind the stalled one, if it is theirs).
      expect(await anotherSequencer(a.app).drain()).toBe(0);
      expect(await anotherSequencer(b.app).drain()).toBe(0);
      expect((await storedEvents(ds, 'test.crash.stalled')).every((e) => e.seq === null)).toBe(true);
      const { rows } = await watcher.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [pid]);
      expect(rows[0].ok).toBe(true);
      // The background polls (every 100 ms, 1 s after a failure) pick the events up.
      let left = 10;
      for (let poll = 0; poll < 600 && left > 0; poll++) {
        await sleep(50);
        left = (await storedEvents(ds, 'test.crash.stalled')).filter((e) => e.seq === null).length;
      }
      expect(left).toBe(0);
    } finally {
      await watcher.end();
      await ds.query('DROP TRIGGER IF EXISTS test_stall_sequencing ON audit_tree_heads');
      await ds.query('DROP FUNCTION IF EXISTS test_stall_sequencing()');
      await ds.query('DROP SEQUENCE IF EXISTS test_stall_once');
    }
    await write(b.app, 'test.crash.after', 5);
    await sequenceNow(b.app);
    await expectOneValidLog(a.app);
    expect((await b.app.get(AuditLog).verify()).valid).toBe(true);
  });
});
