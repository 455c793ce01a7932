import { AuditLog, AuditService } from '@orderops/audit';
import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  asOwnerWithoutTriggers,
  latestTreeHead,
  loggedEvents,
  rewriteLog,
  sequenceNow,
  storedEvents,
  storedLeafHash,
  verifyViaApi,
  type StoredAuditEvent,
} from '../support/audit.js';
import { mth, rfcVerifyConsistency, rfcVerifyInclusion } from '../support/rfc9162.js';
import { bearer, TEST_ADMIN_PASSWORD, TEST_OPERATOR_PASSWORD, tokenFor } from '../support/auth.js';
import { databaseKind } from '../support/test-database.js';
import { useTestApp } from '../support/use-test-app.js';

const minuteWindow = (): number => Math.floor(Date.now() / 60_000);

interface EventPage {
  items: {
    seq: number | null;
    id: string;
    action: string;
    actor: string;
    targetId: string | null;
    at: string;
    requestId: string;
  }[];
  nextCursor: string | null;
}

describe('audit trail', () => {
  const t = useTestApp({
    env: { STRICT_RATE_LIMIT_PER_MINUTE: '10000' },
    operators: { auditor: ['audit:read'] },
  });
  let ds: DataSource;
  let audit: AuditService;
  let log: AuditLog;
  let admin: string;
  let auditor: string;
  beforeAll(() => {
    ds = t.app.get(DataSource);
    audit = t.app.get(AuditService);
    log = t.app.get(AuditLog);
    admin = t.token('admin');
    auditor = t.token('auditor');
  });
  const hex = (h: string): Buffer => Buffer.from(h, 'hex');
  const leafOf = storedLeafHash;

  it('sequences every committed event once, seq contiguous from 1; the root is the RFC 9162 hash of their leaves', async () => {
    await sequenceNow(t.app);
    const events = await loggedEvents(ds);
    expect(await storedEvents(ds)).toHaveLength(events.length);
    expect(events.map((e) => e.action).slice(0, 2)).toEqual(['admin.operator.created', 'auth.token.issued']);
    expect(events.map((e) => Number(e.seq))).toEqual(events.map((_, i) => i + 1));
    for (const e of events) {
      expect(e.leaf_hash).toBe(leafOf(e));
      expect([e.prev_hash, e.hash]).toEqual([null, null]);
    }
    const head = await latestTreeHead(ds);
    expect(Number(head.tree_size)).toBe(events.length);
    expect(head.root_hash).toBe(mth(events.map((e) => hex(e.leaf_hash))).toString('hex'));
    expect(await verifyViaApi(t.app, auditor)).toEqual({
      valid: true,
      checked: events.length,
      lastSeq: events.length,
      rootHash: head.root_hash,
      pending: 0,
    });
  });

  describe('append-only', () => {
    it.each([
      ['UPDATE of content', `UPDATE audit_events SET outcome = 'failure' WHERE seq = 1`],
      ['UPDATE of a seq given', `UPDATE audit_events SET seq = seq + 1000000 WHERE seq = 1`],
      ['UPDATE of a leaf hash', `UPDATE audit_events SET leaf_hash = repeat('0', 64) WHERE seq = 1`],
      ['DELETE', 'DELETE FROM audit_events WHERE seq = 1'],
      ['TRUNCATE', 'TRUNCATE audit_events'],
      ['UPDATE of a tree node', `UPDATE audit_tree_nodes SET hash = repeat('0', 64)`],
      ['DELETE of a tree node', 'DELETE FROM audit_tree_nodes'],
      ['TRUNCATE of the tree nodes', 'TRUNCATE audit_tree_nodes'],
      ['UPDATE of a tree head', `UPDATE audit_tree_heads SET root_hash = repeat('0', 64)`],
      ['DELETE of a tree head', 'DELETE FROM audit_tree_heads'],
      ['TRUNCATE of the tree heads', 'TRUNCATE audit_tree_heads'],
      ['UPDATE of the old chain head', `UPDATE audit_chain_head SET seq = seq + 1`],
      ['DELETE of the old chain head', 'DELETE FROM audit_chain_head'],
      ['TRUNCATE of the old chain head', 'TRUNCATE audit_chain_head'],
    ])('refuses %s, for the table owner too', async (_what, sql) => {
      await sequenceNow(t.app);
      const before = await storedEvents(ds);
      const head = await latestTreeHead(ds);
      await expect(ds.query(sql)).rejects.toThrow(/append-only/);
      expect(await storedEvents(ds)).toEqual(before);
      expect(await latestTreeHead(ds)).toEqual(head);
    });

    it('refuses an event inserted with a seq or chain hashes (a back-dated or pre-placed insert)', async () => {
      const insert = (columns: string, values: string) =>
        ds.transaction((m) =>
          m.query(
            `INSERT INTO audit_events (id, at, actor, actor_type, action, outcome, details, leaf_hash${columns})
             VALUES (gen_random_uuid(), now(), 'x', 'system', 'test.forged', 'success', '{}', repeat('e', 64)${values})`,
          ),
        );
      await expect(insert(', seq', ', 1')).rejects.toThrow(/inserted unsequenced/);
      await expect(insert(', prev_hash, hash', `, repeat('a', 64), repeat('b', 64)`)).rejects.toThrow(
        /inserted unsequenced/,
      );
      expect(await storedEvents(ds, 'test.forged')).toEqual([]);
    });

    it('refuses record() outside a transaction', async () => {
      await expect(
        audit.record(ds.manager, { action: 'test.outside', actor: { type: 'system', id: 'test' } }),
      ).rejects.toThrow(/inside the transaction/);
    });
  });

  describe('appended at commit', () => {
    const actor = { type: 'system', id: 'test' } as const;

    it('a savepoint rolled back drops its own events and keeps the ones recorded before it', async () => {
      const runner = ds.createQueryRunner();
      try {
        await runner.startTransaction();
        await audit.record(runner.manager, { action: 'test.savepoint_outer', actor });
        await runner.startTransaction(); // a savepoint
        await audit.record(runner.manager, { action: 'test.savepoint_dropped', actor });
        await runner.rollbackTransaction();
        await audit.record(runner.manager, { action: 'test.savepoint_after', actor });
        await runner.startTransaction();
        await audit.record(runner.manager, { action: 'test.savepoint_kept', actor });
        await runner.commitTransaction(); // releases the savepoint
        await runner.commitTransaction();
      } finally {
        await runner.release();
      }
      const actions = (await storedEvents(ds))
        .map((e) => e.action)
        .filter((a) => a.startsWith('test.savepoint'));
      expect(actions).toEqual(['test.savepoint_outer', 'test.savepoint_after', 'test.savepoint_kept']);
      expect((await verifyViaApi(t.app, auditor)).valid).toBe(true);
    });

    it('an event that breaks the rules fails record() at once, before anything is written', async () => {
      const before = (await storedEvents(ds)).length;
      await expect(
        ds.transaction((m) => audit.record(m, { action: 'Not A Dotted Name', actor })),
      ).rejects.toThrow(/dotted lower-case/);
      expect(await storedEvents(ds)).toHaveLength(before);
    });

    // The embedded database has one session: its transactions never overlap.
    it.runIf(databaseKind === 'postgres')(
      'a writer still at work blocks no other writer, even once its events are written',
      async () => {
        const open = ds.createQueryRunner();
        try {
          await open.startTransaction();
          await audit.record(open.manager, { action: 'test.long_running', actor });
          // The open transaction's event is inserted (as at COMMIT) and the transaction stays open.
          await audit.appendPending(open);
          // With the chain, the head stayed locked until COMMIT: this append would wait.
          const waited = await Promise.race([
            ds
              .transaction((m) => audit.record(m, { action: 'test.meanwhile', actor }))
              .then(() => 'appended'),
            new Promise((resolve) => setTimeout(() => resolve('blocked'), 5_000)),
          ]);
          expect(waited).toBe('appended');
          await open.commitTransaction();
        } finally {
          await open.release();
        }
        await sequenceNow(t.app);
        const logged = await loggedEvents(ds);
        // Both are in the log once; their order is whichever the sequencer found them committed in.
        expect(logged.filter((e) => e.action === 'test.meanwhile')).toHaveLength(1);
        expect(logged.filter((e) => e.action === 'test.long_running')).toHaveLength(1);
        expect((await verifyViaApi(t.app, auditor)).valid).toBe(true);
      },
    );
  });

  describe('atomicity', () => {
    it('a transaction that fails after the audit write leaves neither the change nor the event', async () => {
      await expect(
        ds.transaction(async (manager) => {
          await manager.query(`INSERT INTO audit_throttle (key, expires_at) VALUES ($1, now())`, [
            'a'.repeat(64),
          ]);
          await audit.record(manager, { action: 'test.rolled_back', actor: { type: 'system', id: 'test' } });
          throw new Error('fails after the audit write');
        }),
      ).rejects.toThrow('fails after the audit write');
      expect(await storedEvents(ds, 'test.rolled_back')).toEqual([]);
      expect(await ds.query(`SELECT key FROM audit_throttle WHERE key = $1`, ['a'.repeat(64)])).toEqual([]);
    });

    it('a real action whose commit fails after the audit write leaves neither (client creation)', async () => {
      // A deferred constraint trigger fails the transaction at COMMIT, after every write in it.
      await ds.query(`CREATE FUNCTION test_fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.name = 'fail-at-commit' THEN RAISE EXCEPTION 'injected commit failure'; END IF; RETURN NULL; END $$`);
      await ds.query(`CREATE CONSTRAINT TRIGGER test_fail_at_commit AFTER INSERT ON oauth_clients
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_fail_at_commit()`);
      try {
        const before = (await storedEvents(ds)).length;
        const res = await t.app.inject({
          method: 'POST',
          url: '/admin/clients',
          headers: bearer(admin),
          payload: { name: 'fail-at-commit', scopes: ['orders:read'] },
        });
        expect(res.statusCode).toBe(500);
        expect(await ds.query(`SELECT client_id FROM oauth_clients WHERE name = 'fail-at-commit'`)).toEqual(
          [],
        );
        expect(await storedEvents(ds)).toHaveLength(before);
        expect((await verifyViaApi(t.app, auditor)).valid).toBe(true);
      } finally {
        await ds.query('DROP TRIGGER test_fail_at_commit ON oauth_clients');
        await ds.query('DROP FUNCTION test_fail_at_commit()');
      }
    });

    it('a real action whose audit write fails does not happen (no unaudited change)', async () => {
      await ds.query(`CREATE FUNCTION test_fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.action = 'admin.client.created' THEN RAISE EXCEPTION 'injected audit failure'; END IF; RETURN NEW; END $$`);
      await ds.query(`CREATE TRIGGER test_fail_audit BEFORE INSERT ON audit_events
        FOR EACH ROW EXECUTE FUNCTION test_fail_audit()`);
      try {
        const res = await t.app.inject({
          method: 'POST',
          url: '/admin/clients',
          headers: bearer(admin),
          payload: { name: 'never-audited', scopes: ['orders:read'] },
        });
        expect(res.statusCode).toBe(500);
        expect(await ds.query(`SELECT client_id FROM oauth_clients WHERE name = 'never-audited'`)).toEqual(
          [],
        );
      } finally {
        await ds.query('DROP TRIGGER test_fail_audit ON audit_events');
        await ds.query('DROP FUNCTION test_fail_audit()');
      }
    });
  });

  describe('tampering (as the owner, triggers disabled) is detected', () => {
    let target: StoredAuditEvent;
    beforeAll(async () => {
      await sequenceNow(t.app);
      const events = await loggedEvents(ds);
      target = events[Math.floor(events.length / 2)];
      expect((await verifyViaApi(t.app, auditor)).valid).toBe(true);
    });
    const get = async (url: string) => {
      const res = await t.app.inject({ method: 'GET', url, headers: bearer(auditor) });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<Record<string, unknown>>();
    };
    const restore = (e: StoredAuditEvent) =>
      asOwnerWithoutTriggers(ds, (m) =>
        m.query(
          `UPDATE audit_events SET seq = $2, details = $3::jsonb, actor = $4, outcome = $5, at = $6, leaf_hash = $7
           WHERE arrival = $1`,
          [e.arrival, e.seq, JSON.stringify(e.details), e.actor, e.outcome, e.at, e.leaf_hash],
        ),
      );

    it("an edited event's details: verify names its seq (hash_mismatch), and the original restores it", async () => {
      await asOwnerWithoutTriggers(ds, (m) =>
        m.query(`UPDATE audit_events SET details = details || '{"edited": true}' WHERE seq = $1`, [
          target.seq,
        ]),
      );
      const broken = await verifyViaApi(t.app, auditor);
      expect(broken).toMatchObject({
        valid: false,
        checked: Number(target.seq) - 1,
        lastSeq: Number(target.seq) - 1,
        brokenAt: { seq: Number(target.seq), reason: 'hash_mismatch' },
      });
      await restore(target);
      expect((await verifyViaApi(t.app, auditor)).valid).toBe(true);
    });

    it('an edited actor, outcome or time is a hash_mismatch too', async () => {
      for (const change of [
        `actor = 'someone-else'`,
        `outcome = 'denied'`,
        `at = at + interval '1 second'`,
      ]) {
        await asOwnerWithoutTriggers(ds, (m) =>
          m.query(`UPDATE audit_events SET ${change} WHERE seq = $1`, [target.seq]),
        );
        expect((await verifyViaApi(t.app, auditor)).brokenAt).toEqual({
          seq: Number(target.seq),
          reason: 'hash_mismatch',
        });
        await restore(target);
        expect((await verifyViaApi(t.app, auditor)).valid).toBe(true);
      }
    });

    it('an edited event with its leaf hash recomputed no longer matches the stored tree (tree_mismatch)', async () => {
      const edited = { ...target, details: { ...target.details, edited: true } };
      await asOwnerWithoutTriggers(ds, (m) =>
        m.query(`UPDATE audit_events SET details = $2::jsonb, leaf_hash = $3 WHERE seq = $1`, [
          target.seq,
          JSON.stringify(edited.details),
          leafOf(edited),
        ]),
      );
      expect((await verifyViaApi(t.app, auditor)).brokenAt).toMatchObject({ reason: 'tree_mismatch' });
      // Its inclusion proof, checked by an independent RFC 9162 verifier against the signed
      // head, fails for the event as it now reads.
      const head = await get('/audit/tree-head');
      const proof = await get(`/audit/events/${target.seq}/proof?treeSize=${String(head.treeSize)}`);
      expect(proof.rootHash).toBe(head.rootHash);
      const verifies = (leaf: string) =>
        rfcVerifyInclusion(
          BigInt(target.seq as string) - 1n,
          BigInt(head.treeSize as number),
          hex(leaf),
          (proof.proof as string[]).map(hex),
          hex(head.rootHash as string),
        );
      expect(verifies(leafOf(edited))).toBe(false);
      expect(verifies(target.leaf_hash)).toBe(true);
      await restore(target);
      expect((await verifyViaApi(t.app, auditor)).valid).toBe(true);
    });

    it('a deleted event is a gap at its seq; putting it back heals the log', async () => {
      await asOwnerWithoutTriggers(ds, (m) =>
        m.query('DELETE FROM audit_events WHERE seq = $1', [target.seq]),
      );
      expect((await verifyViaApi(t.app, auditor)).brokenAt).toEqual({
        seq: Number(target.seq),
        reason: 'gap',
      });
      await asOwnerWithoutTriggers(ds, (m) =>
        m.query(
          `INSERT INTO audit_events SELECT * FROM jsonb_populate_record(NULL::audit_events, $1::jsonb)`,
          [JSON.stringify(target)],
        ),
      );
      expect((await verifyViaApi(t.app, auditor)).valid).toBe(true);
    });

    it('a deleted last event is a gap where the head still points', async () => {
      await sequenceNow(t.app);
      const head = await latestTreeHead(ds);
      const [last] = await ds.query<StoredAuditEvent[]>('SELECT * FROM audit_events WHERE seq = $1', [
        head.tree_size,
      ]);
      await asOwnerWithoutTriggers(ds, (m) =>
        m.query('DELETE FROM audit_events WHERE seq = $1', [head.tree_size]),
      );
      expect((await verifyViaApi(t.app, auditor)).brokenAt).toEqual({
        seq: Number(head.tree_size),
        reason: 'gap',
      });
      await asOwnerWithoutTriggers(ds, (m) =>
        m.query(
          `INSERT INTO audit_events SELECT * FROM jsonb_populate_record(NULL::audit_events, $1::jsonb)`,
          [JSON.stringify(last)],
        ),
      );
      expect((await verifyViaApi(t.app, auditor)).valid).toBe(true);
    });

    it('a reordered pair (their seqs swapped) breaks the tree', async () => {
      const [a, b] = await ds.query<StoredAuditEvent[]>(
        'SELECT * FROM audit_events WHERE seq IN ($1, $2) ORDER BY seq',
        [target.seq, String(Number(target.seq) + 1)],
      );
      await asOwnerWithoutTriggers(ds, async (m) => {
        await m.query('UPDATE audit_events SET seq = NULL WHERE arrival IN ($1, $2)', [a.arrival, b.arrival]);
        await m.query('UPDATE audit_events SET seq = $2 WHERE arrival = $1', [a.arrival, b.seq]);
        await m.query('UPDATE audit_events SET seq = $2 WHERE arrival = $1', [b.arrival, a.seq]);
      });
      // Named by the first event of the smallest stored subtree that no longer matches.
      const { brokenAt } = await verifyViaApi(t.app, auditor);
      expect(brokenAt?.reason).toBe('tree_mismatch');
      expect(brokenAt?.seq).toBeGreaterThanOrEqual(Number(target.seq) - 1);
      expect(brokenAt?.seq).toBeLessThanOrEqual(Number(target.seq));
      await asOwnerWithoutTriggers(ds, async (m) => {
        await m.query('UPDATE audit_events SET seq = NULL WHERE arrival IN ($1, $2)', [a.arrival, b.arrival]);
        await m.query('UPDATE audit_events SET seq = $2 WHERE arrival = $1', [a.arrival, a.seq]);
        await m.query('UPDATE audit_events SET seq = $2 WHERE arrival = $1', [b.arrival, b.seq]);
      });
      expect((await verifyViaApi(t.app, auditor)).valid).toBe(true);
    });

    it('a rewritten history (leaves, nodes and heads recomputed) passes a plain verify, but not a kept tree head', async () => {
      const kept = await get('/audit/tree-head');
      await tokenFor(t.app, 'auditor', TEST_OPERATOR_PASSWORD); // the log moves on past the checkpoint
      await sequenceNow(t.app);
      await rewriteLog(ds, (e) => (e.seq === target.seq ? { ...e.details, rewritten: true } : e.details));
      expect((await log.verify()).valid).toBe(true);
      const checkpoint = { treeSize: String(kept.treeSize), rootHash: kept.rootHash as string };
      expect(await log.verify(checkpoint)).toMatchObject({
        valid: false,
        brokenAt: { seq: String(kept.treeSize), reason: 'checkpoint_mismatch' },
      });
      // An auditor holding the kept head asks for a consistency proof to today's head; an
      // independent verifier refuses it.
      const now = await get('/audit/tree-head');
      const consistency = await get(
        `/audit/consistency?from=${String(kept.treeSize)}&to=${String(now.treeSize)}`,
      );
      expect(consistency.fromRoot).not.toBe(kept.rootHash);
      expect(
        rfcVerifyConsistency(
          BigInt(kept.treeSize as number),
          BigInt(now.treeSize as number),
          hex(kept.rootHash as string),
          hex(now.rootHash as string),
          (consistency.proof as string[]).map(hex),
        ),
      ).toBe(false);
      // A checkpoint of the log as it is now holds.
      expect(
        (await log.verify({ treeSize: String(now.treeSize), rootHash: now.rootHash as string })).valid,
      ).toBe(true);
    });
  });

  describe('GET /audit/events', () => {
    const list = (query: string, token = auditor) =>
      t.app.inject({ method: 'GET', url: `/audit/events${query}`, headers: bearer(token) });

    it('pages through every event newest first with an opaque cursor, without repeats', async () => {
      const all = await storedEvents(ds);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await list(`?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(res.statusCode).toBe(200);
        const page = res.json<EventPage>();
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items.map((e) => e.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(all.map((e) => e.id).reverse());
      const defaults = (await list('')).json<EventPage>();
      expect(defaults.items).toHaveLength(Math.min(20, all.length));
    });

    it('filters by action, actor, target and time, and ties events to the request that caused them', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/admin/clients',
        headers: { ...bearer(admin), 'x-request-id': 'audit-trail-req-0001' },
        payload: { name: 'Filter test', scopes: ['orders:read'] },
      });
      const { clientId } = res.json<{ clientId: string }>();
      const [adminRow] = await ds.query<{ id: string }[]>(
        `SELECT id FROM operators WHERE username = 'admin'`,
      );

      const byTarget = (await list(`?targetId=${clientId}`)).json<EventPage>();
      expect(byTarget.items).toHaveLength(1);
      expect(byTarget.items[0]).toMatchObject({
        action: 'admin.client.created',
        actor: adminRow.id,
        requestId: 'audit-trail-req-0001',
      });

      const byAction = (await list('?action=admin.client.created&limit=100')).json<EventPage>();
      expect(byAction.items.length).toBeGreaterThan(0);
      expect(byAction.items.every((e) => e.action === 'admin.client.created')).toBe(true);

      const byActor = (await list(`?actor=${adminRow.id}&limit=100`)).json<EventPage>();
      expect(byActor.items.every((e) => e.actor === adminRow.id)).toBe(true);
      expect(byActor.items.map((e) => e.targetId)).toContain(clientId);

      const at = byTarget.items[0].at;
      const from = (await list(`?targetId=${clientId}&from=${encodeURIComponent(at)}`)).json<EventPage>();
      expect(from.items).toHaveLength(1);
      const to = (await list(`?targetId=${clientId}&to=${encodeURIComponent(at)}`)).json<EventPage>();
      expect(to.items).toHaveLength(0);
    });

    it.each([
      ['a forged cursor', '?cursor=bm9wZQ'],
      ['a cursor with SQL', `?cursor=${Buffer.from('{"v":1,"before":"1 OR 1=1"}').toString('base64url')}`],
      ['limit 0', '?limit=0'],
      ['limit 101', '?limit=101'],
      ['a fractional limit', '?limit=1.5'],
      ['a non-numeric limit', '?limit=abc'],
      ['a malformed time', '?from=yesterday'],
      ['a malformed action', '?action=DROP%20TABLE'],
      ['an unknown filter', '?password=x'],
    ])('answers 400 problem+json for %s', async (_what, query) => {
      const res = await list(query);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    });

    it('needs audit:read; a 403 is itself audited, once per principal, route and minute', async () => {
      const before = (await storedEvents(ds, 'auth.access.denied')).length;
      const adminOnly = (await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD, 'admin')).access_token;
      const firstWindow = minuteWindow();
      for (let i = 0; i < 3; i++) expect((await list('', adminOnly)).statusCode).toBe(403);
      // Another route is another key.
      const verify = await t.app.inject({ method: 'GET', url: '/audit/verify', headers: bearer(adminOnly) });
      expect(verify.statusCode).toBe(403);
      // One event per route and window: exactly one each unless a minute boundary fell in between.
      const windows = minuteWindow() - firstWindow + 1;
      const denied = (await storedEvents(ds, 'auth.access.denied')).slice(before);
      const forEvents = denied.filter((e) => e.target_id === 'GET /audit/events');
      expect(forEvents.length).toBeGreaterThanOrEqual(1);
      expect(forEvents.length).toBeLessThanOrEqual(windows);
      expect(denied.filter((e) => e.target_id === 'GET /audit/verify')).toHaveLength(1);
      expect(forEvents[0]).toMatchObject({
        outcome: 'denied',
        target_type: 'route',
        target_id: 'GET /audit/events',
        details: { reason: 'insufficient_scope', requiredScopes: ['audit:read'], clientId: 'orderops-web' },
      });
      expect((await t.app.inject({ method: 'GET', url: '/audit/verify' })).statusCode).toBe(401);
    });
  });
});
