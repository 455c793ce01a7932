import { AUDIT_GENESIS_HASH, AuditLog, chainedLeafHash, computeAuditHash } from '@orderops/audit';
import { Database, loadConfig, mergeSchemas } from '@orderops/core';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_SCHEMAS } from '../../apps/api/src/app.module.js';
import {
  asOwnerWithoutTriggers,
  loggedEvents,
  sequenceNow,
  type StoredAuditEvent,
} from '../support/audit.js';
import { TEST_ADMIN_PASSWORD, tokenFor } from '../support/auth.js';
import { mth } from '../support/rfc9162.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { databaseKind, provisionTestDatabase, type TestDatabase } from '../support/test-database.js';

const MERKLE_MIGRATION = 'AuditMerkleLog1733300000023';
const CHAINED = 5;

/**
 * A database that ran OrderOps before the Merkle log: its chained events are carried into the
 * tree (as leaves of their chain hashes), still checked as a chain, and still caught when
 * edited; a checkpoint of the old chain head still verifies.
 */
describe(`the chained audit trail carried into the Merkle log (${databaseKind})`, () => {
  let db: TestDatabase;
  let t: TestApp;
  const chain: { seq: string; hash: string }[] = [];

  beforeAll(async () => {
    db = await provisionTestDatabase();
    const env = { ...db.env, ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD };
    // Every migration up to (not including) the Merkle log, then events appended the old way.
    const all = mergeSchemas(APP_SCHEMAS);
    const before = await Database.open(loadConfig({ NODE_ENV: 'test', ...env }), {
      entities: [],
      migrations: all.migrations.filter((m) => m.name !== MERKLE_MIGRATION),
    });
    try {
      await before.migrate();
      const ds = before.dataSource;
      let prevHash = AUDIT_GENESIS_HASH;
      for (let seq = 1; seq <= CHAINED; seq++) {
        const fields = {
          seq: String(seq),
          id: randomUUID(),
          at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)),
          actor: 'cli',
          actorType: 'system',
          action: 'test.chained',
          targetType: null,
          targetId: null,
          outcome: 'success',
          requestId: null,
          details: { n: seq },
        };
        const hash = computeAuditHash(prevHash, fields);
        await ds.query(
          `INSERT INTO audit_events (seq, id, at, actor, actor_type, action, outcome, details, prev_hash, hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10)`,
          [
            seq,
            fields.id,
            fields.at,
            'cli',
            'system',
            'test.chained',
            'success',
            JSON.stringify(fields.details),
            prevHash,
            hash,
          ],
        );
        chain.push({ seq: String(seq), hash });
        prevHash = hash;
      }
    } finally {
      await before.close();
    }
    t = await startTestApp(env);
  });
  afterAll(async () => {
    await t?.close();
    await db?.dispose();
  });

  it('keeps the chained events at their seqs, with their chain hashes, as the first leaves of the tree', async () => {
    await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD); // new events after them
    await sequenceNow(t.app);
    const events = await loggedEvents(t.app.get(DataSource));
    expect(events.length).toBeGreaterThan(CHAINED);
    expect(events.slice(0, CHAINED).map((e) => ({ seq: e.seq, hash: e.hash }))).toEqual(chain);
    for (const e of events.slice(0, CHAINED)) expect(e.leaf_hash).toBe(chainedLeafHash(e.hash as string));
    for (const e of events.slice(CHAINED)) expect([e.prev_hash, e.hash]).toEqual([null, null]);
    expect(events.map((e) => Number(e.seq))).toEqual(events.map((_, i) => i + 1));
    const log = t.app.get(AuditLog);
    const head = await log.head();
    expect(head.rootHash).toBe(mth(events.map((e) => Buffer.from(e.leaf_hash, 'hex'))).toString('hex'));
    expect(await log.verify()).toMatchObject({ valid: true, checked: events.length, pending: 0 });
  });

  it('a checkpoint of the old chain head still verifies, and a wrong one does not', async () => {
    const log = t.app.get(AuditLog);
    expect((await log.verify(chain[CHAINED - 1])).valid).toBe(true);
    expect(await log.verify({ seq: '3', hash: chain[1].hash })).toMatchObject({
      valid: false,
      brokenAt: { seq: '3', reason: 'checkpoint_mismatch' },
    });
  });

  it('an edited chained event is caught by its chain hash', async () => {
    const ds = t.app.get(DataSource);
    const [target] = await ds.query<StoredAuditEvent[]>('SELECT * FROM audit_events WHERE seq = 3');
    await asOwnerWithoutTriggers(ds, (m) =>
      m.query(`UPDATE audit_events SET details = '{"n": 99}' WHERE seq = 3`),
    );
    const log = t.app.get(AuditLog);
    expect(await log.verify()).toMatchObject({
      valid: false,
      checked: 2,
      brokenAt: { seq: '3', reason: 'hash_mismatch' },
    });
    await asOwnerWithoutTriggers(ds, (m) =>
      m.query(`UPDATE audit_events SET details = $1::jsonb WHERE seq = 3`, [JSON.stringify(target.details)]),
    );
    expect((await log.verify()).valid).toBe(true);
  });
});
