import { AUDIT_GENESIS_HASH, AuditService } from '@orderops/audit';
import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  asOwnerWithoutTriggers,
  rewriteTail,
  chainHead,
  storedEvents,
  verifyViaApi,
  type StoredAuditEvent,
} from '../support/audit.js';
import { bearer, TEST_ADMIN_PASSWORD, TEST_OPERATOR_PASSWORD, tokenFor } from '../support/auth.js';
import { databaseKind } from '../support/test-database.js';
import { useTestApp } from '../support/use-test-app.js';

const minuteWindow = (): number => Math.floor(Date.now() / 60_000);

interface EventPage {
  items: {
    seq: number;
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
  let admin: string;
  let auditor: string;
  beforeAll(() => {
    ds = t.app.get(DataSource);
    audit = t.app.get(AuditService);
    admin = t.token('admin');
    auditor = t.token('auditor');
  });

  it('chains every event from the fixed genesis, seq contiguous from 1', async () => {
    const events = await storedEvents(ds);
    expect(events.map((e) => e.action).slice(0, 2)).toEqual(['admin.operator.created', 'auth.token.issued']);
    expect(events.map((e) => Number(e.seq))).toEqual(events.map((_, i) => i + 1));
    expect(events[0].prev_hash).toBe(AUDIT_GENESIS_HASH);
    events.forEach((e, i) => {
      if (i > 0) expect(e.prev_hash).toBe(events[i - 1].hash);
    });
    const head = await chainHead(ds);
    expect(head).toEqual({ seq: events.at(-1)?.seq, hash: events.at(-1)?.hash });
    expect(await verifyViaApi(t.app, auditor)).toEqual({
      valid: true,
      checked: events.length,
      lastSeq: events.length,
      lastHash: head.hash,
    });
  });

  describe('append-only', () => {
    it.each([
      ['UPDATE', `UPDATE audit_events SET outcome = 'failure' WHERE seq = 1`],
      ['DELETE', 'DELETE FROM audit_events WHERE seq = 1'],
      ['TRUNCATE', 'TRUNCATE audit_events'],
      ['DELETE of the head', 'DELETE FROM audit_chain_head'],
      ['TRUNCATE of the head', 'TRUNCATE audit_chain_head'],
    ])('refuses %s, for the table owner too', async (_what, sql) => {
      const before = await storedEvents(ds);
      await expect(ds.query(sql)).rejects.toThrow(/append-only/);
      expect(await storedEvents(ds)).toEqual(before);
    });

    it('refuses moving the head anywhere but onto the next event', async () => {
      const head = await chainHead(ds);
      await expect(ds.query(`UPDATE audit_chain_head SET seq = seq - 1`)).rejects.toThrow(
        /head may only advance/,
      );
      await expect(
        ds.query(`UPDATE audit_chain_head SET seq = seq + 1, hash = $1`, ['f'.repeat(64)]),
      ).rejects.toThrow(/head may only advance/);
      expect(await chainHead(ds)).toEqual(head);
    });

    it('refuses an event that does not follow the head (a fork or a back-dated insert)', async () => {
      const [first] = await storedEvents(ds);
      const insert = (seq: string, prevHash: string) =>
        ds.transaction((m) =>
          m.query(
            `INSERT INTO audit_events (seq, id, at, actor, actor_type, action, outcome, details, prev_hash, hash)
             VALUES ($1, gen_random_uuid(), now(), 'x', 'system', 'test.forged', 'success', '{}', $2, $3)`,
            [seq, prevHash, 'e'.repeat(64)],
          ),
        );
      await expect(insert(first.seq, first.prev_hash)).rejects.toThrow(/does not follow the chain head/);
      const head = await chainHead(ds);
      await expect(insert(String(Number(head.seq) + 1), first.hash)).rejects.toThrow(/does not follow/);
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
      const head = await chainHead(ds);
      await expect(
        ds.transaction((m) => audit.record(m, { action: 'Not A Dotted Name', actor })),
      ).rejects.toThrow(/dotted lower-case/);
      expect(await chainHead(ds)).toEqual(head);
    });

    // The embedded database has one session: its transactions never overlap.
    it.runIf(databaseKind === 'postgres')(
      'the chain head is not locked while the recording transaction is still at work',
      async () => {
        const open = ds.createQueryRunner();
        try {
          await open.startTransaction();
          await audit.record(open.manager, { action: 'test.long_running', actor });
          // Before, the head stayed locked from record() to COMMIT: this append would wait.
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
        const actions = (await storedEvents(ds)).map((e) => e.action);
        expect(actions.indexOf('test.meanwhile')).toBeLessThan(actions.indexOf('test.long_running'));
        expect((await verifyViaApi(t.app, auditor)).valid).toBe(true);
      },
    );
  });

  describe('atomicity', () => {
    it('a transaction that fails after the audit write leaves neither the change nor the event', async () => {
      const head = await chainHead(ds);
      await expect(
        ds.transaction(async (manager) => {
          await manager.query(`INSERT INTO audit_throttle (key, expires_at) VALUES ($1, now())`, [
            'a'.repeat(64),
          ]);
          await audit.record(manager, { action: 'test.rolled_back', actor: { type: 'system', id: 'test' } });
          throw new Error('fails after the audit write');
        }),
      ).rejects.toThrow('fails after the audit write');
      expect(await chainHead(ds)).toEqual(head);
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
        const head = await chainHead(ds);
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
        expect(await chainHead(ds)).toEqual(head);
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
      const events = await storedEvents(ds);
      target = events[Math.floor(events.length / 2)];
      expect((await verifyViaApi(t.app, auditor)).valid).toBe(true);
    });

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
      await asOwnerWithoutTriggers(ds, (m) =>
        m.query(`UPDATE audit_events SET details = $2::jsonb WHERE seq = $1`, [
          target.seq,
          JSON.stringify(target.details),
        ]),
      );
      expect((await verifyViaApi(t.app, auditor)).valid).toBe(true);
    });

    it('an edited actor or outcome is a hash_mismatch too', async () => {
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
        await asOwnerWithoutTriggers(ds, (m) =>
          m.query(`UPDATE audit_events SET actor = $2, outcome = $3, at = $4 WHERE seq = $1`, [
            target.seq,
            target.actor,
            target.outcome,
            target.at,
          ]),
        );
        expect((await verifyViaApi(t.app, auditor)).valid).toBe(true);
      }
    });

    it('a deleted event is a gap at its seq; putting it back heals the chain', async () => {
      await asOwnerWithoutTriggers(ds, (m) =>
        m.query('DELETE FROM audit_events WHERE seq = $1', [target.seq]),
      );
      expect((await verifyViaApi(t.app, auditor)).brokenAt).toEqual({
        seq: Number(target.seq),
        reason: 'gap',
      });
      await asOwnerWithoutTriggers(ds, (m) =>
        m.query(
          `INSERT INTO audit_events (seq, id, at, actor, actor_type, action, target_type, target_id, outcome,
             request_id, details, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11::jsonb,$12,$13)`,
          [
            target.seq,
            target.id,
            target.at,
            target.actor,
            target.actor_type,
            target.action,
            target.target_type,
            target.target_id,
            target.outcome,
            target.request_id,
            JSON.stringify(target.details),
            target.prev_hash,
            target.hash,
          ],
        ),
      );
      expect((await verifyViaApi(t.app, auditor)).valid).toBe(true);
    });

    it('a deleted last event is a gap where the head still points', async () => {
      const head = await chainHead(ds);
      const [last] = await ds.query<StoredAuditEvent[]>('SELECT * FROM audit_events WHERE seq = $1', [
        head.seq,
      ]);
      await asOwnerWithoutTriggers(ds, (m) => m.query('DELETE FROM audit_events WHERE seq = $1', [head.seq]));
      // The API's own calls append nothing (reads are not audited), so the head stays put.
      expect((await verifyViaApi(t.app, auditor)).brokenAt).toEqual({ seq: Number(head.seq), reason: 'gap' });
      await asOwnerWithoutTriggers(ds, (m) =>
        m.query(
          `INSERT INTO audit_events SELECT * FROM jsonb_populate_record(NULL::audit_events, $1::jsonb)`,
          [JSON.stringify(last)],
        ),
      );
      expect((await verifyViaApi(t.app, auditor)).valid).toBe(true);
    });

    it('a rewritten tail with recomputed hashes passes a plain verify, but not against a checkpoint', async () => {
      const checkpoint = await chainHead(ds);
      await tokenFor(t.app, 'auditor', TEST_OPERATOR_PASSWORD); // the chain moves on past the checkpoint
      const before = await storedEvents(ds);
      const from = before.findIndex((e) => e.seq === target.seq);
      await rewriteTail(ds, before.slice(from), (e) =>
        e.seq === target.seq ? { ...e.details, rewritten: true } : e.details,
      );
      expect((await audit.verify()).valid).toBe(true);
      expect(await audit.verify(checkpoint)).toMatchObject({
        valid: false,
        brokenAt: { seq: checkpoint.seq, reason: 'checkpoint_mismatch' },
      });
      // Cutting the chain back below the checkpoint does not escape it either.
      await asOwnerWithoutTriggers(ds, async (m) => {
        await m.query('DELETE FROM audit_events WHERE seq >= $1', [checkpoint.seq]);
        const [last] = await m.query<{ seq: string; hash: string }[]>(
          'SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1',
        );
        await m.query('UPDATE audit_chain_head SET seq = $1, hash = $2', [last.seq, last.hash]);
      });
      expect((await audit.verify()).valid).toBe(true);
      expect((await audit.verify(checkpoint)).brokenAt).toEqual({
        seq: checkpoint.seq,
        reason: 'checkpoint_mismatch',
      });
      // A checkpoint of the chain as it is now holds.
      expect((await audit.verify(await chainHead(ds))).valid).toBe(true);
    });
  });

  describe('GET /audit/events', () => {
    const list = (query: string, token = auditor) =>
      t.app.inject({ method: 'GET', url: `/audit/events${query}`, headers: bearer(token) });

    it('pages through every event newest first with an opaque cursor, without repeats', async () => {
      const all = await storedEvents(ds);
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const res = await list(`?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(res.statusCode).toBe(200);
        const page = res.json<EventPage>();
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items.map((e) => e.seq));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(all.map((e) => Number(e.seq)).reverse());
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
