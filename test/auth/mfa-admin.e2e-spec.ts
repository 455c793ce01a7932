import { systemActor } from '@orderops/audit';
import { MfaService } from '@orderops/auth';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import { storedEvents } from '../support/audit.js';
import {
  bearer,
  decodeJwt,
  passwordGrant,
  postForm,
  TEST_OPERATOR_PASSWORD,
  type TokenBody,
} from '../support/auth.js';
import { authenticatorCode } from '../support/totp.js';
import { useTestApp } from '../support/use-test-app.js';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

/** GET and DELETE /admin/operators/:id/mfa over HTTP against the started app. */
describe('admin: an operator’s second factor', () => {
  const t = useTestApp({ operators: { alice: ['orders:read'], bob: ['orders:read'] } });
  let mfa: MfaService;
  let secret: string;

  beforeAll(async () => {
    mfa = t.app.get(MfaService);
    // Enrolment is the sign-in flow's; here it goes through the same service API.
    const enrolment = await mfa.beginEnrolment(t.operator('alice').id, systemActor('spec'));
    secret = enrolment.secret;
    const confirmed = await mfa.confirmEnrolment(
      t.operator('alice').id,
      authenticatorCode(secret),
      systemActor('spec'),
    );
    expect(confirmed.ok).toBe(true);
  });

  const call = (method: 'GET' | 'DELETE', id: string, token?: string) =>
    t.app.inject({ method, url: `/admin/operators/${id}/mfa`, headers: token ? bearer(token) : {} });

  it('shows the state to an admin, never the secret', async () => {
    const res = await call('GET', t.operator('alice').id, t.token('admin'));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ state: 'active', recoveryCodesLeft: 10, locked: false });
    expect(res.body).not.toContain(secret);
    expect((await call('GET', t.operator('bob').id, t.token('admin'))).json()).toEqual({
      state: 'none',
      recoveryCodesLeft: 0,
      locked: false,
    });
  });

  it('refuses callers without admin (403) or without a token (401), and leaves the factor in place', async () => {
    for (const method of ['GET', 'DELETE'] as const) {
      const denied = await call(method, t.operator('alice').id, t.token('alice'));
      expect(denied.statusCode).toBe(403);
      expect(denied.headers['content-type']).toContain('application/problem+json');
      expect((await call(method, t.operator('alice').id)).statusCode).toBe(401);
    }
    expect((await mfa.status(t.operator('alice').id)).state).toBe('active');
  });

  it('answers 404 for an unknown operator and 400 for an id that is not a uuid', async () => {
    for (const method of ['GET', 'DELETE'] as const) {
      const missing = await call(method, UNKNOWN_ID, t.token('admin'));
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ type: 'urn:orderops:problem:operator-not-found' });
      expect((await call(method, 'not-a-uuid', t.token('admin'))).statusCode).toBe(400);
    }
  });

  it('resets it (204), audited by the admin’s id with the state it had; the operator can enrol again', async () => {
    const alice = t.operator('alice').id;
    // Two of alice's refresh families: one as if its sign-in had passed the factor, one password-only.
    const otpFamily = (await passwordGrant(t.app, 'alice', TEST_OPERATOR_PASSWORD)).json<TokenBody>();
    const pwdFamily = (await passwordGrant(t.app, 'alice', TEST_OPERATOR_PASSWORD)).json<TokenBody>();
    await t.app
      .get(DataSource)
      .query(`UPDATE refresh_tokens SET amr = '{pwd,otp}' WHERE token_hash = $1`, [
        createHash('sha256').update(otpFamily.refresh_token!).digest('hex'),
      ]);
    const refresh = (token: string) =>
      postForm(t.app, '/oauth/token', {
        grant_type: 'refresh_token',
        client_id: 'orderops-web',
        refresh_token: token,
      });
    // A refresh first, so the family spans a spent row and a live one: still one family.
    const otpSuccessor = (await refresh(otpFamily.refresh_token!)).json<TokenBody>();
    const res = await call('DELETE', alice, t.token('admin'));
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await call('GET', alice, t.token('admin'))).json()).toEqual({
      state: 'none',
      recoveryCodesLeft: 0,
      locked: false,
    });
    const [event] = (await storedEvents(t.app.get(DataSource), 'admin.operator.mfa_reset')).filter(
      (e) => e.target_id === alice,
    );
    expect(event).toMatchObject({
      actor: decodeJwt(t.token('admin')).payload.sub,
      actor_type: 'operator',
      target_type: 'operator',
      details: { previousState: 'active', revokedRefreshFamilies: 1 },
    });
    expect((await refresh(otpSuccessor.refresh_token!)).json()).toMatchObject({ error: 'invalid_grant' });
    expect((await refresh(pwdFamily.refresh_token!)).statusCode).toBe(200);
    expect(JSON.stringify(event)).not.toContain('alice');
    const again = await mfa.beginEnrolment(alice, systemActor('spec'));
    expect(again.secret).not.toBe(secret);
    // Nothing logged the secrets, at any level the suite captured.
    expect(t.logs.text).not.toContain(secret);
    expect(t.logs.text).not.toContain(again.secret);

    // Again, on a pending enrolment, then on none: still 204, each audited.
    expect((await call('DELETE', alice, t.token('admin'))).statusCode).toBe(204);
    expect((await call('DELETE', alice, t.token('admin'))).statusCode).toBe(204);
    const states = (await storedEvents(t.app.get(DataSource), 'admin.operator.mfa_reset'))
      .filter((e) => e.target_id === alice)
      .map((e) => e.details.previousState);
    expect(states).toEqual(['active', 'pending', 'none']);
  });
});
