import {
  ACCOUNT_SLOWDOWN_AFTER_FAILURES,
  ACCOUNT_SLOWDOWN_MS,
  LOCK_AFTER_FAILURES,
  MAX_LOCK_SECONDS,
} from '@orderops/auth';
import type { LightMyRequestResponse } from 'fastify';
import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOperator, form, TEST_ADMIN_PASSWORD, TEST_OPERATOR_PASSWORD } from '../support/auth.js';
import { useTestApp } from '../support/use-test-app.js';

/** Two client addresses: an attacker's and the owner's (documentation ranges, RFC 5737). */
const ATTACKER = '203.0.113.7';
const OWNER = '198.51.100.9';

describe('brute-force locks per (account, client address)', () => {
  const t = useTestApp({ env: { STRICT_RATE_LIMIT_PER_MINUTE: '10000' }, signIn: ['admin'] });
  let ds: DataSource;
  let admin: string;
  beforeAll(() => {
    ds = t.app.get(DataSource);
    admin = t.token('admin');
  });

  const signIn = (from: string, username: string, password: string): Promise<LightMyRequestResponse> =>
    t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      remoteAddress: from,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ grant_type: 'password', client_id: 'orderops-web', username, password }),
    });

  const operatorId = async (username: string): Promise<string> => {
    const [row] = await ds.query<{ id: string }[]>('SELECT id FROM operators WHERE username = $1', [
      username,
    ]);
    return row.id;
  };

  const locks = (id: string) =>
    ds.query<{ failed_count: number; locked_until: Date | null; seconds: number | null }[]>(
      `SELECT failed_count, locked_until, EXTRACT(EPOCH FROM (locked_until - now()))::float AS seconds
         FROM login_locks WHERE operator_id = $1 ORDER BY failed_count DESC`,
      [id],
    );

  const failedEvents = async (id: string): Promise<number> => {
    const [row] = await ds.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'auth.login.failed' AND target_id = $1`,
      [id],
    );
    return row.n;
  };

  it('keeps the bootstrap admin usable from another address while one address hammers it', async () => {
    const id = await operatorId('admin');
    for (let i = 0; i < LOCK_AFTER_FAILURES; i++) {
      expect((await signIn(ATTACKER, 'admin', 'wrong-guess-000000')).statusCode).toBe(400);
    }
    const [lock] = await locks(id);
    expect(lock.failed_count).toBe(LOCK_AFTER_FAILURES);
    expect(lock.seconds).toBeGreaterThan(0);

    // Attempts during the lock, even with the right password: refused, and the lock stays put.
    for (let i = 0; i < 3; i++) {
      const during = await signIn(ATTACKER, 'admin', i === 0 ? TEST_ADMIN_PASSWORD : 'wrong-guess-000000');
      expect(during.statusCode).toBe(400);
      expect(during.json()).toMatchObject({ error: 'invalid_grant' });
    }
    const [after] = await locks(id);
    expect(after.failed_count).toBe(LOCK_AFTER_FAILURES);
    expect(new Date(after.locked_until!).getTime()).toBe(new Date(lock.locked_until!).getTime());

    // The owner, elsewhere, signs in at once; the attacker's address stays locked.
    expect((await signIn(OWNER, 'admin', TEST_ADMIN_PASSWORD)).statusCode).toBe(200);
    expect((await signIn(ATTACKER, 'admin', TEST_ADMIN_PASSWORD)).statusCode).toBe(400);
  });

  it('doubles a lock with each failure made after the previous one ended, up to the maximum', async () => {
    const op = await createOperator(t.app, admin, 'doubling', ['orders:read']);
    for (let i = 0; i < LOCK_AFTER_FAILURES; i++) await signIn(ATTACKER, 'doubling', 'nope-nope-nope-1');
    const endLock = () =>
      ds.query(`UPDATE login_locks SET locked_until = now() - interval '1 second' WHERE operator_id = $1`, [
        op.id,
      ]);
    const first = (await locks(op.id))[0].seconds!;
    await endLock();
    await signIn(ATTACKER, 'doubling', 'nope-nope-nope-1');
    const second = (await locks(op.id))[0].seconds!;
    expect(second).toBeGreaterThan(first * 1.5);
    for (let i = 0; i < 10; i++) {
      await endLock();
      await signIn(ATTACKER, 'doubling', 'nope-nope-nope-1');
    }
    const [capped] = await locks(op.id);
    expect(capped.failed_count).toBe(LOCK_AFTER_FAILURES + 11);
    expect(capped.seconds).toBeLessThanOrEqual(MAX_LOCK_SECONDS);
    expect(capped.seconds).toBeGreaterThan(MAX_LOCK_SECONDS - 60);
  });

  it('answers a plain invalid_grant and audits the failure with the counters far past any limit', async () => {
    const op = await createOperator(t.app, admin, 'saturated', ['orders:read']);
    await signIn(ATTACKER, 'saturated', 'wrong-guess-000000');
    // Where the old lock formula overflowed (2^1024) and the largest a counter column holds.
    await ds.query(`UPDATE login_locks SET failed_count = 1024, locked_until = NULL WHERE operator_id = $1`, [
      op.id,
    ]);
    await ds.query(`UPDATE operators SET failed_login_count = 2147483647 WHERE id = $1`, [op.id]);
    const before = await failedEvents(op.id);
    const res = await signIn(ATTACKER, 'saturated', 'wrong-guess-000000');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_grant' });
    expect(await failedEvents(op.id)).toBe(before + 1);
    const [lock] = await locks(op.id);
    expect(lock.failed_count).toBe(1025);
    expect(lock.seconds).toBeGreaterThan(MAX_LOCK_SECONDS - 60);
    expect(lock.seconds).toBeLessThanOrEqual(MAX_LOCK_SECONDS);
  });

  it('still audits the failure when counting it fails', async () => {
    const op = await createOperator(t.app, admin, 'uncounted', ['orders:read']);
    await signIn(ATTACKER, 'uncounted', 'wrong-guess-000000');
    await ds.query(`CREATE FUNCTION test_refuse_lock_update() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused by the test'; END $$`);
    await ds.query(`CREATE TRIGGER test_refuse_lock_update BEFORE UPDATE ON login_locks
      FOR EACH ROW EXECUTE FUNCTION test_refuse_lock_update()`);
    try {
      const before = await failedEvents(op.id);
      const res = await signIn(ATTACKER, 'uncounted', 'wrong-guess-000000');
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_grant' });
      expect(await failedEvents(op.id)).toBe(before + 1);
    } finally {
      await ds.query('DROP TRIGGER test_refuse_lock_update ON login_locks');
      await ds.query('DROP FUNCTION test_refuse_lock_update()');
    }
  });

  it('slows an account under attack from many addresses by a bounded delay, never refusing the owner', async () => {
    const op = await createOperator(t.app, admin, 'besieged', ['orders:read']);
    await ds.query(`UPDATE operators SET failed_login_count = $2 WHERE id = $1`, [
      op.id,
      ACCOUNT_SLOWDOWN_AFTER_FAILURES * 50,
    ]);
    const started = performance.now();
    expect((await signIn(OWNER, 'besieged', TEST_OPERATOR_PASSWORD)).statusCode).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(ACCOUNT_SLOWDOWN_MS - 5);
    const [row] = await ds.query<{ failed_login_count: number }[]>(
      'SELECT failed_login_count FROM operators WHERE id = $1',
      [op.id],
    );
    expect(row.failed_login_count).toBe(0);
  });

  it('stores no client address, only a keyed fingerprint', async () => {
    const rows = await ds.query<Record<string, unknown>[]>('SELECT * FROM login_locks');
    expect(rows.length).toBeGreaterThan(0);
    const text = JSON.stringify(rows);
    for (const address of [ATTACKER, OWNER, '203.0.113']) expect(text).not.toContain(address);
  });
});
