import { AuditLog, computeLeafHash } from '@orderops/audit';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  asOwnerWithoutTriggers,
  loggedEvents,
  sequenceNow,
  type StoredAuditEvent,
} from '../support/audit.js';
import { databaseKind } from '../support/test-database.js';
import { useTestApp } from '../support/use-test-app.js';

/** Positions verify reads per page (AuditLog's VERIFY_BATCH). */
const PAGE = 1000;

/**
 * Full verification walks the log in windows of PAGE positions (never "the rest, LIMIT
 * PAGE", whose plan depends on statistics): a log of a few pages verifies, and an event
 * missing on either side of a window's edge is still the gap it is.
 */
describe(`audit verify across pages (${databaseKind})`, () => {
  const t = useTestApp();
  let ds: DataSource;
  let log: AuditLog;
  let events: StoredAuditEvent[];

  beforeAll(async () => {
    ds = t.app.get(DataSource);
    log = t.app.get(AuditLog);
    const at = new Date();
    const rows = Array.from({ length: 2 * PAGE + 100 }, (_, i) => {
      const event = {
        id: randomUUID(),
        at,
        actor: 'test',
        actorType: 'system',
        action: 'test.verify.page',
        targetType: null,
        targetId: null,
        outcome: 'success',
        requestId: null,
        details: { i },
      };
      return { ...event, leafHash: computeLeafHash(event) };
    });
    await ds.transaction((m) =>
      m.query(
        `INSERT INTO audit_events (id, at, actor, actor_type, action, outcome, details, leaf_hash)
         SELECT e.id, e.at, 'test', 'system', 'test.verify.page', 'success', e.details, e.leaf_hash
         FROM unnest($1::uuid[], $2::timestamptz[], $3::jsonb[], $4::varchar[]) WITH ORDINALITY
           AS e(id, at, details, leaf_hash, n)
         ORDER BY e.n`,
        [
          rows.map((r) => r.id),
          rows.map((r) => r.at),
          rows.map((r) => JSON.stringify(r.details)),
          rows.map((r) => r.leafHash),
        ],
      ),
    );
    await sequenceNow(t.app);
    events = await loggedEvents(ds);
    expect(events.length).toBeGreaterThan(2 * PAGE);
  });

  const without = async <T>(seqs: readonly number[], fn: () => Promise<T>): Promise<T> => {
    const gone = events.filter((e) => seqs.includes(Number(e.seq)));
    await asOwnerWithoutTriggers(ds, (m) => m.query('DELETE FROM audit_events WHERE seq = ANY($1)', [seqs]));
    try {
      return await fn();
    } finally {
      await asOwnerWithoutTriggers(ds, async (m) => {
        for (const e of gone) {
          await m.query(
            `INSERT INTO audit_events (arrival, seq, id, at, actor, actor_type, action, target_type,
               target_id, outcome, request_id, details, leaf_hash, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14, $15)`,
            [
              e.arrival,
              e.seq,
              e.id,
              e.at,
              e.actor,
              e.actor_type,
              e.action,
              e.target_type,
              e.target_id,
              e.outcome,
              e.request_id,
              JSON.stringify(e.details),
              e.leaf_hash,
              e.prev_hash,
              e.hash,
            ],
          );
        }
      });
    }
  };

  it('a log of several pages verifies whole', async () => {
    expect(await log.verify()).toMatchObject({ valid: true, checked: events.length, pending: 0 });
  });

  it.each([
    [[PAGE], PAGE],
    [[PAGE + 1], PAGE + 1],
    [[PAGE, PAGE + 1], PAGE],
    [[PAGE + 1, PAGE + 2], PAGE + 1],
    [[2 * PAGE], 2 * PAGE],
  ])('events %j missing: a gap at %i, and nothing before it is blamed', async (seqs, at) => {
    const result = await without(seqs, () => log.verify());
    expect(result).toMatchObject({
      valid: false,
      checked: at - 1,
      brokenAt: { seq: String(at), reason: 'gap' },
    });
    expect((await log.verify()).valid).toBe(true);
  });
});
