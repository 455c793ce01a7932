import { Scope } from '@orderops/access';
import { systemActor } from '@orderops/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedEvents } from '../../../../test/support/audit.js';
import { startAuthServices, type AuthServices } from '../../../../test/support/auth-services.js';
import { FIRST_LOCK_SECONDS, LOCK_AFTER_FAILURES, OperatorsService } from './operators.service.js';

const PASSWORD = 'seam-spec-operator-pw-7c41';
const WRONG = 'not-the-password-at-all';

/** The lock rules as OperatorsService applies them, without HTTP (one client: no request). */
describe('OperatorsService sign-in locks', () => {
  let s: AuthServices;
  let operators: OperatorsService;

  beforeAll(async () => {
    s = await startAuthServices();
    operators = s.module.get(OperatorsService);
  });

  afterAll(async () => {
    await s?.close();
  });

  const newOperator = async (username: string): Promise<string> =>
    (await operators.create(username, PASSWORD, [Scope.OrdersRead], systemActor('spec'))).id;

  const counter = async (id: string) => {
    const [row] = await s.dataSource.query<{ failed_count: number; lock_seconds: number | null }[]>(
      `SELECT failed_count, round(extract(epoch FROM locked_until - updated_at))::integer AS lock_seconds
         FROM login_locks WHERE operator_id = $1`,
      [id],
    );
    return row;
  };

  /** As if the lock had run its course: it ended a moment ago. */
  const endLock = (id: string) =>
    s.dataSource.query(
      `UPDATE login_locks SET locked_until = now() - interval '1 second', updated_at = now() - interval '2 seconds'
        WHERE operator_id = $1`,
      [id],
    );

  const failTimes = async (username: string, times: number) => {
    for (let i = 0; i < times; i++) expect((await operators.authenticate(username, WRONG)).ok).toBe(false);
  };

  it('locks at the threshold, refuses even the right password during the lock, and admits it once the lock ended', async () => {
    const id = await newOperator('seam-lock');
    await failTimes('seam-lock', LOCK_AFTER_FAILURES - 1);
    expect(await counter(id)).toEqual({ failed_count: LOCK_AFTER_FAILURES - 1, lock_seconds: null });
    expect((await operators.authenticate('seam-lock', PASSWORD)).ok).toBe(true);
    // Success forgets the client's count: the threshold is consecutive failures.
    expect(await counter(id)).toBeUndefined();

    await failTimes('seam-lock', LOCK_AFTER_FAILURES);
    expect(await counter(id)).toEqual({
      failed_count: LOCK_AFTER_FAILURES,
      lock_seconds: FIRST_LOCK_SECONDS,
    });
    expect((await operators.authenticate('seam-lock', PASSWORD)).ok).toBe(false);
    const locked = await storedEvents(s.dataSource, 'auth.account.locked');
    expect(locked.filter((e) => e.target_id === id)).toHaveLength(1);

    await endLock(id);
    expect((await operators.authenticate('seam-lock', PASSWORD)).ok).toBe(true);
  });

  it('neither counts nor extends during a lock, and doubles the lock for a failure after it ended', async () => {
    const id = await newOperator('seam-double');
    await failTimes('seam-double', LOCK_AFTER_FAILURES);
    const during = await counter(id);
    await failTimes('seam-double', 3);
    expect(await counter(id)).toEqual(during);

    await endLock(id);
    await failTimes('seam-double', 1);
    expect(await counter(id)).toEqual({
      failed_count: LOCK_AFTER_FAILURES + 1,
      lock_seconds: 2 * FIRST_LOCK_SECONDS,
    });
  });

  it('forgets failures older than its memory: the count starts again', async () => {
    const id = await newOperator('seam-stale');
    await failTimes('seam-stale', LOCK_AFTER_FAILURES - 1);
    await s.dataSource.query(
      `UPDATE login_locks SET updated_at = now() - interval '25 hours' WHERE operator_id = $1`,
      [id],
    );
    await failTimes('seam-stale', 1);
    expect(await counter(id)).toEqual({ failed_count: 1, lock_seconds: null });
  });

  it('a new password lifts the locks of every client', async () => {
    const id = await newOperator('seam-reset');
    await failTimes('seam-reset', LOCK_AFTER_FAILURES);
    // A second client's lock, as a sign-in from another address would have left it.
    await s.dataSource.query(
      `INSERT INTO login_locks (operator_id, client_key, failed_count, locked_until)
       VALUES ($1, 'another-client', $2, now() + interval '1 minute')`,
      [id, LOCK_AFTER_FAILURES],
    );
    const locksOf = async () =>
      (await s.dataSource.query<unknown[]>('SELECT 1 FROM login_locks WHERE operator_id = $1', [id])).length;
    expect(await locksOf()).toBe(2);
    await operators.update(id, { password: `${PASSWORD}-new` }, systemActor('spec'));
    expect(await locksOf()).toBe(0);
    expect((await operators.get(id)).lockedUntil).toBeNull();
    expect((await operators.authenticate('seam-reset', `${PASSWORD}-new`)).ok).toBe(true);
  });
});
