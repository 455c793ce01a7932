import { beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  createOperator,
  postForm,
  TEST_OPERATOR_PASSWORD,
  tokenFor,
  type TokenBody,
} from '../support/auth.js';
import { useTestApp } from '../support/use-test-app.js';

/** Runs of `scenario` needed with all its steps inside one wall-clock second (the old cut-off's grain). */
const SAME_SECOND_RUNS = 3;
const MAX_RUNS = 40;

describe('operator changes void earlier tokens, however soon after issue', () => {
  const t = useTestApp({
    env: { STRICT_RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_PER_MINUTE: '100000' },
    signIn: ['admin'],
  });
  let admin: string;
  beforeAll(() => {
    admin = t.token('admin');
  });

  const patch = async (id: string, payload: Record<string, unknown>): Promise<void> => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/admin/operators/${id}`,
      headers: bearer(admin),
      payload,
    });
    expect(res.statusCode).toBe(200);
  };

  /**
   * Repeats `scenario` until it has run SAME_SECOND_RUNS times with every step in one second:
   * the case a whole-second cut-off cannot tell apart. Each run must pass either way.
   */
  const inOneSecond = async (scenario: (run: number) => Promise<void>): Promise<void> => {
    let sameSecond = 0;
    for (let run = 0; run < MAX_RUNS && sameSecond < SAME_SECOND_RUNS; run++) {
      const started = Date.now();
      await scenario(run);
      if (Math.floor(started / 1000) === Math.floor(Date.now() / 1000)) sameSecond++;
    }
    expect(sameSecond).toBe(SAME_SECOND_RUNS);
  };

  it('a token issued between two changes loses the scope the second change removed', async () => {
    const op = await createOperator(t.app, admin, 'regranted', ['orders:read', 'audit:read']);
    await inOneSecond(async () => {
      await patch(op.id, { scopes: ['orders:read', 'audit:read'] });
      const token = await tokenFor(t.app, 'regranted', TEST_OPERATOR_PASSWORD, 'orders:read audit:read');
      await patch(op.id, { scopes: ['orders:read'] });
      const res = await t.app.inject({
        method: 'GET',
        url: '/audit/verify',
        headers: bearer(token.access_token),
      });
      expect(res.statusCode).toBe(401);
    });
  });

  it('disabling and a new password void a token issued just before, in the same second', async () => {
    const op = await createOperator(t.app, admin, 'switched', ['orders:read']);
    await inOneSecond(async (run) => {
      await patch(op.id, { disabled: false });
      const token = await tokenFor(t.app, 'switched', TEST_OPERATOR_PASSWORD);
      await patch(op.id, run % 2 === 0 ? { disabled: true } : { password: TEST_OPERATOR_PASSWORD });
      const res = await t.app.inject({ method: 'GET', url: '/orders', headers: bearer(token.access_token) });
      expect(res.statusCode).toBe(401);
      await patch(op.id, { disabled: false });
    });
  });

  it('a refresh family started right after a change stands; one started before it does not', async () => {
    const op = await createOperator(t.app, admin, 'refresher', ['orders:read']);
    const refresh = (token: TokenBody) =>
      postForm(t.app, '/oauth/token', {
        grant_type: 'refresh_token',
        client_id: 'orderops-web',
        refresh_token: token.refresh_token!,
      });
    await inOneSecond(async () => {
      await patch(op.id, { scopes: ['orders:read'] });
      const fresh = await tokenFor(t.app, 'refresher', TEST_OPERATOR_PASSWORD);
      expect((await refresh(fresh)).statusCode).toBe(200);
      const stale = await tokenFor(t.app, 'refresher', TEST_OPERATOR_PASSWORD);
      await patch(op.id, { scopes: ['orders:read'] });
      const refused = await refresh(stale);
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ error: 'invalid_grant' });
    });
  });
});

describe('an unknown grant_type', () => {
  const t = useTestApp();

  it.each([
    ['an unknown client', { client_id: 'no-such-client' }, {}],
    ['no client at all', {}, {}],
    [
      'a wrong client secret',
      {},
      { authorization: `Basic ${Buffer.from('ptn_x:wrong').toString('base64')}` },
    ],
  ])('is unsupported_grant_type before client authentication, with %s', async (_, params, headers) => {
    const res = await postForm(
      t.app,
      '/oauth/token',
      { grant_type: 'urn:example:unknown', ...params },
      headers,
    );
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'unsupported_grant_type' });
    expect(res.headers['www-authenticate']).toBeUndefined();
  });
});
