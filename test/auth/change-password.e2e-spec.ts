import { LOCK_AFTER_FAILURES } from '@orderops/auth';
import { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { basic, bearer, passwordGrant, postForm, TEST_OPERATOR_PASSWORD } from '../support/auth.js';
import { useTestApp } from '../support/use-test-app.js';

/** POST /me/password (issue 14 §4): an operator changes its own password. */

const NEW_PASSWORD = 'a-fresh-operator-pw-4e8b1';

describe('an operator changes its own password: POST /me/password', () => {
  const t = useTestApp({
    operators: {
      alice: ['orders:read'],
      bob: ['orders:read'],
      carol: ['orders:read'],
      dave: ['orders:read'],
    },
    clients: { 'Password Partner': ['orders:read'] },
  });

  const change = (token: string, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/me/password', headers: bearer(token), payload });
  const me = (token: string) => t.app.inject({ method: 'GET', url: '/me', headers: bearer(token) });
  const ds = () => t.app.get(DataSource);
  const failedLogins = async (id: string) =>
    (
      await ds().query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM audit_events WHERE action = 'auth.login.failed' AND target_id = $1`,
        [id],
      )
    )[0].n;

  it('changes it, voids every token and session of the operator, revokes its refresh tokens, and is audited', async () => {
    const alice = t.operator('alice');
    const other = await passwordGrant(t.app, 'alice', TEST_OPERATOR_PASSWORD);
    const session = other.json<{ access_token: string; refresh_token: string }>();
    const res = await change(t.token('alice'), {
      currentPassword: TEST_OPERATOR_PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect(res.statusCode, res.body).toBe(204);

    // The token that asked and the other session are both void.
    expect((await me(t.token('alice'))).statusCode).toBe(401);
    expect((await me(session.access_token)).statusCode).toBe(401);
    const refreshed = await postForm(t.app, '/oauth/token', {
      grant_type: 'refresh_token',
      client_id: 'orderops-web',
      refresh_token: session.refresh_token,
    });
    expect(refreshed.statusCode).toBe(400);
    const live = await ds().query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM refresh_tokens WHERE operator_id = $1 AND revoked_at IS NULL',
      [alice.id],
    );
    expect(live[0].n).toBe(0);

    expect((await passwordGrant(t.app, 'alice', TEST_OPERATOR_PASSWORD)).statusCode).toBe(400);
    expect((await passwordGrant(t.app, 'alice', NEW_PASSWORD)).statusCode).toBe(200);

    const events = await ds().query<{ actor_type: string; actor: string; details: unknown }[]>(
      `SELECT actor_type, actor, details FROM audit_events WHERE action = 'auth.password.changed' AND target_id = $1`,
      [alice.id],
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor_type: 'operator', actor: alice.id });
    for (const text of [JSON.stringify(events), t.logs.text]) {
      expect(text).not.toContain(NEW_PASSWORD);
      expect(text).not.toContain(TEST_OPERATOR_PASSWORD);
    }
  });

  it('refuses a wrong current password with a 400 problem, counts it like a failed sign-in, and changes nothing', async () => {
    const bob = t.operator('bob');
    const before = await failedLogins(bob.id);
    const res = await change(t.token('bob'), {
      currentPassword: 'not-bobs-password-123',
      newPassword: NEW_PASSWORD,
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({
      type: 'urn:orderops:problem:wrong-current-password',
      errors: [{ field: 'currentPassword', code: 'incorrect' }],
    });
    expect(await failedLogins(bob.id)).toBe(before + 1);
    const [lock] = await ds().query<{ failed_count: number }[]>(
      'SELECT failed_count FROM login_locks WHERE operator_id = $1',
      [bob.id],
    );
    expect(lock.failed_count).toBe(1);
    expect((await me(t.token('bob'))).statusCode).toBe(200);
    expect((await passwordGrant(t.app, 'bob', NEW_PASSWORD)).statusCode).toBe(400);
    expect((await passwordGrant(t.app, 'bob', TEST_OPERATOR_PASSWORD)).statusCode).toBe(200);
  });

  it('locks like sign-in: after repeated wrong current passwords even the right one is refused', async () => {
    const carol = t.operator('carol');
    for (let i = 0; i < LOCK_AFTER_FAILURES; i++) {
      expect(
        (
          await change(t.token('carol'), {
            currentPassword: `wrong-guess-${i}-xxxx`,
            newPassword: NEW_PASSWORD,
          })
        ).statusCode,
      ).toBe(400);
    }
    const right = await change(t.token('carol'), {
      currentPassword: TEST_OPERATOR_PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect(right.statusCode).toBe(400);
    expect(right.json<{ type: string }>().type).toBe('urn:orderops:problem:wrong-current-password');
    const [row] = await ds().query<{ locked: boolean }[]>(
      'SELECT locked_until > now() AS locked FROM login_locks WHERE operator_id = $1',
      [carol.id],
    );
    expect(row.locked).toBe(true);
    // Unchanged: the old password still works once the lock is gone.
    await ds().query('DELETE FROM login_locks WHERE operator_id = $1', [carol.id]);
    expect((await passwordGrant(t.app, 'carol', TEST_OPERATOR_PASSWORD)).statusCode).toBe(200);
  });

  it('refuses a new password that fails the policy (400 weak-password on newPassword) and changes nothing', async () => {
    for (const newPassword of ['too-short', 'password1234', 'dave-is-my-name-ok']) {
      const res = await change(t.token('dave'), { currentPassword: TEST_OPERATOR_PASSWORD, newPassword });
      expect(res.statusCode, newPassword).toBe(400);
      expect(res.json(), newPassword).toMatchObject({
        type: 'urn:orderops:problem:weak-password',
        errors: [{ field: 'newPassword', code: 'weak_password' }],
      });
    }
    expect((await me(t.token('dave'))).statusCode).toBe(200);
    expect((await passwordGrant(t.app, 'dave', TEST_OPERATOR_PASSWORD)).statusCode).toBe(200);
  });

  it('refuses a body without both passwords (400) and a request without a token (401)', async () => {
    expect((await change(t.token('dave'), { newPassword: NEW_PASSWORD })).statusCode).toBe(400);
    expect((await change(t.token('dave'), { currentPassword: TEST_OPERATOR_PASSWORD })).statusCode).toBe(400);
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/me/password',
      payload: { currentPassword: TEST_OPERATOR_PASSWORD, newPassword: NEW_PASSWORD },
    });
    expect(anonymous.statusCode).toBe(401);
  });

  it('refuses client tokens with a 403 problem', async () => {
    const partner = t.client('Password Partner');
    const token = (
      await postForm(
        t.app,
        '/oauth/token',
        { grant_type: 'client_credentials' },
        basic(partner.clientId, partner.clientSecret),
      )
    ).json<{ access_token: string }>().access_token;
    const res = await change(token, { currentPassword: 'anything-at-all-1', newPassword: NEW_PASSWORD });
    expect(res.statusCode).toBe(403);
    expect(res.json<{ type: string }>().type).toBe('urn:orderops:problem:operators-only');
  });
});
