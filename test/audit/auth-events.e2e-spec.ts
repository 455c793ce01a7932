import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import { storedEvents, verifyViaApi, type StoredAuditEvent } from '../support/audit.js';
import {
  basic,
  bearer,
  decodeJwt,
  postForm,
  TEST_ADMIN_PASSWORD,
  tokenFor,
  type TokenBody,
} from '../support/auth.js';
import { useTestApp } from '../support/use-test-app.js';

/** Recognisable personal data and secrets: none may appear in any audit event. */
const CANARY = {
  username: 'canary-jane-doe',
  password: 'Canary-Pa55phrase-Zebra-917',
  newPassword: 'Canary-New-Pa55phrase-Otter-33',
  unknownUser: 'jane.canary@example.com',
  wrongPassword: 'Canary-Wrong-Pw-4471',
  clientName: 'Jane Canary +44 20 7946 0958, 1 Canary Wharf',
  clientIp: '203.0.113.77',
};
const FROM_CANARY_IP = { remoteAddress: CANARY.clientIp };

describe('audited auth actions', () => {
  const t = useTestApp({ env: { STRICT_RATE_LIMIT_PER_MINUTE: '10000' }, signIn: ['admin'] });
  let ds: DataSource;
  let admin: string;
  let adminId: string;
  /** Every secret the server handed out during the suite. */
  const secrets: string[] = [];

  const form = (url: string, params: Record<string, string>, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: new URLSearchParams(params).toString(),
      ...FROM_CANARY_IP,
    });
  const lastEvent = async (action: string): Promise<StoredAuditEvent | undefined> =>
    (await storedEvents(ds, action)).at(-1);

  beforeAll(async () => {
    ds = t.app.get(DataSource);
    const tokens = t.grant('admin');
    admin = tokens.access_token;
    secrets.push(tokens.access_token, tokens.refresh_token ?? '');
    [{ id: adminId }] = await ds.query<{ id: string }[]>(`SELECT id FROM operators WHERE username = 'admin'`);
  });

  it('bootstrap: admin.operator.created by the system', async () => {
    const [first] = await storedEvents(ds);
    expect(first).toMatchObject({
      action: 'admin.operator.created',
      actor: 'bootstrap',
      actor_type: 'system',
      target_type: 'operator',
      target_id: adminId,
      request_id: null,
    });
  });

  it('auth.token.issued for the password grant: grant, client, subject, scopes and the jti, tied to the request', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': 'audit-auth-req-0001' },
      payload: new URLSearchParams({
        grant_type: 'password',
        client_id: 'orderops-web',
        username: 'admin',
        password: TEST_ADMIN_PASSWORD,
        scope: 'orders:read admin',
      }).toString(),
    });
    const body = res.json<TokenBody>();
    secrets.push(body.access_token, body.refresh_token ?? '');
    const event = await lastEvent('auth.token.issued');
    expect(event).toMatchObject({
      actor: adminId,
      actor_type: 'operator',
      outcome: 'success',
      target_type: 'access_token',
      target_id: decodeJwt(body.access_token).payload.jti,
      request_id: 'audit-auth-req-0001',
      details: { grant: 'password', clientId: 'orderops-web', scopes: ['orders:read', 'admin'] },
    });
    expect(event?.details.refreshFamilyId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refresh: auth.token.issued (refresh_token grant); a reused token: auth.refresh.reuse_detected', async () => {
    const login = await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD);
    const refresh = login.refresh_token ?? '';
    const rotated = await form('/oauth/token', {
      grant_type: 'refresh_token',
      client_id: 'orderops-web',
      refresh_token: refresh,
    });
    expect(rotated.statusCode).toBe(200);
    secrets.push(login.access_token, refresh, rotated.json<TokenBody>().access_token);
    secrets.push(rotated.json<TokenBody>().refresh_token ?? '');
    const issued = await lastEvent('auth.token.issued');
    expect(issued).toMatchObject({
      actor: adminId,
      details: { grant: 'refresh_token', clientId: 'orderops-web' },
    });
    const familyId = issued?.details.refreshFamilyId;

    const reuse = await form('/oauth/token', {
      grant_type: 'refresh_token',
      client_id: 'orderops-web',
      refresh_token: refresh,
    });
    expect(reuse.statusCode).toBe(400);
    expect(await lastEvent('auth.refresh.reuse_detected')).toMatchObject({
      actor: 'orderops-web',
      actor_type: 'client',
      outcome: 'denied',
      target_type: 'refresh_token_family',
      target_id: familyId,
      details: { reason: 'reused', operatorId: adminId, familyRevoked: true },
    });
  });

  it('auth.token.revoked for a refresh family and for an access token, by the client', async () => {
    const login = await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD);
    secrets.push(login.access_token, login.refresh_token ?? '');
    const family = (await lastEvent('auth.token.issued'))?.details.refreshFamilyId;
    expect(
      (await form('/oauth/revoke', { token: login.refresh_token ?? '', client_id: 'orderops-web' }))
        .statusCode,
    ).toBe(200);
    expect(await lastEvent('auth.token.revoked')).toMatchObject({
      actor: 'orderops-web',
      target_type: 'refresh_token_family',
      target_id: family,
      details: { kind: 'refresh' },
    });
    expect(
      (await form('/oauth/revoke', { token: login.access_token, client_id: 'orderops-web' })).statusCode,
    ).toBe(200);
    expect(await lastEvent('auth.token.revoked')).toMatchObject({
      target_type: 'access_token',
      target_id: decodeJwt(login.access_token).payload.jti,
      details: { kind: 'access', subjectType: 'operator', subjectId: adminId },
    });
    // Revoking something unknown changes nothing and records nothing.
    const count = (await storedEvents(ds)).length;
    expect(
      (await form('/oauth/revoke', { token: 'no-such-token', client_id: 'orderops-web' })).statusCode,
    ).toBe(200);
    expect((await storedEvents(ds)).length).toBe(count);
  });

  it('auth.login.failed for an unknown username: a keyed fingerprint and the /24, never the name or address', async () => {
    const attempt = () =>
      form('/oauth/token', {
        grant_type: 'password',
        client_id: 'orderops-web',
        username: CANARY.unknownUser,
        password: CANARY.wrongPassword,
      });
    expect((await attempt()).statusCode).toBe(400);
    const first = await lastEvent('auth.login.failed');
    expect(first).toMatchObject({
      actor: 'anonymous',
      actor_type: 'anonymous',
      outcome: 'failure',
      target_type: null,
      target_id: null,
      details: { reason: 'unknown_user', network: '203.0.113.0/24' },
    });
    expect(first?.details.attemptedUser).toMatch(/^hmac:v\d+:[0-9a-f]{32}$/);
    await attempt();
    expect((await lastEvent('auth.login.failed'))?.details.attemptedUser).toBe(first?.details.attemptedUser);
    await form('/oauth/token', {
      grant_type: 'password',
      client_id: 'orderops-web',
      username: 'someone-else',
      password: CANARY.wrongPassword,
    });
    expect((await lastEvent('auth.login.failed'))?.details.attemptedUser).not.toBe(
      first?.details.attemptedUser,
    );
  });

  it('admin.operator.created / updated / disabled, by the admin, naming fields but never values', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/admin/operators',
      headers: bearer(admin),
      payload: { username: CANARY.username, password: CANARY.password, scopes: ['orders:read'] },
      ...FROM_CANARY_IP,
    });
    expect(created.statusCode).toBe(201);
    const { id } = created.json<{ id: string }>();
    expect(await lastEvent('admin.operator.created')).toMatchObject({
      actor: adminId,
      actor_type: 'operator',
      target_type: 'operator',
      target_id: id,
      details: { scopes: ['orders:read'] },
    });

    const patch = (payload: object) =>
      t.app.inject({ method: 'PATCH', url: `/admin/operators/${id}`, headers: bearer(admin), payload });
    expect(
      (await patch({ password: CANARY.newPassword, scopes: ['orders:read', 'audit:read'] })).statusCode,
    ).toBe(200);
    expect(await lastEvent('admin.operator.updated')).toMatchObject({
      actor: adminId,
      target_id: id,
      details: { changed: ['password', 'scopes'], scopes: ['orders:read', 'audit:read'] },
    });
    expect((await patch({ disabled: true })).statusCode).toBe(200);
    expect(await lastEvent('admin.operator.disabled')).toMatchObject({
      actor: adminId,
      target_id: id,
      details: {},
    });
    expect((await patch({ disabled: false })).statusCode).toBe(200);
    expect(await lastEvent('admin.operator.updated')).toMatchObject({
      target_id: id,
      details: { changed: ['enabled'] },
    });
  });

  it('auth.login.failed for a wrong password, then auth.account.locked when the lock starts', async () => {
    const [{ id }] = await ds.query<{ id: string }[]>(`SELECT id FROM operators WHERE username = $1`, [
      CANARY.username,
    ]);
    const before = (await storedEvents(ds, 'auth.login.failed')).length;
    for (let i = 0; i < 5; i++) {
      const res = await form('/oauth/token', {
        grant_type: 'password',
        client_id: 'orderops-web',
        username: CANARY.username,
        password: CANARY.wrongPassword,
      });
      expect(res.statusCode).toBe(400);
    }
    const failed = (await storedEvents(ds, 'auth.login.failed')).slice(before);
    expect(failed).toHaveLength(5);
    expect(failed.every((e) => e.target_id === id && e.details.reason === 'bad_password')).toBe(true);
    const locked = await storedEvents(ds, 'auth.account.locked');
    expect(locked).toHaveLength(1);
    expect(locked[0]).toMatchObject({ actor_type: 'system', target_id: id, details: { failures: 5 } });
    expect(locked[0].details.lockSeconds).toBeGreaterThan(0);
    expect(locked[0].details.lockSeconds).toBeLessThanOrEqual(30);
    // The right password from the locked address: still a failure, recorded as such.
    const whileLocked = await form('/oauth/token', {
      grant_type: 'password',
      client_id: 'orderops-web',
      username: CANARY.username,
      password: CANARY.newPassword,
    });
    expect(whileLocked.statusCode).toBe(400);
    expect(await lastEvent('auth.login.failed')).toMatchObject({
      target_id: id,
      details: { reason: 'locked' },
    });
  });

  it('admin.client.created / deleted, auth.token.issued for client_credentials, admin.signing_key.rotated', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: bearer(admin),
      payload: { name: CANARY.clientName, scopes: ['orders:read'] },
    });
    const { clientId, clientSecret } = created.json<{ clientId: string; clientSecret: string }>();
    secrets.push(clientSecret);
    expect(await lastEvent('admin.client.created')).toMatchObject({
      actor: adminId,
      target_type: 'client',
      target_id: clientId,
      details: { scopes: ['orders:read'], grantTypes: ['client_credentials'] },
    });

    const grant = await postForm(
      t.app,
      '/oauth/token',
      { grant_type: 'client_credentials' },
      basic(clientId, clientSecret),
    );
    expect(grant.statusCode).toBe(200);
    secrets.push(grant.json<TokenBody>().access_token);
    expect(await lastEvent('auth.token.issued')).toMatchObject({
      actor: clientId,
      actor_type: 'client',
      details: { grant: 'client_credentials', clientId, scopes: ['orders:read'] },
    });

    const rotated = await t.app.inject({
      method: 'POST',
      url: '/admin/signing-keys/rotate',
      headers: bearer(admin),
    });
    const { kid, retired } = rotated.json<{ kid: string; retired: string[] }>();
    expect(await lastEvent('admin.signing_key.rotated')).toMatchObject({
      actor: adminId,
      target_type: 'signing_key',
      target_id: kid,
      details: { retired },
    });

    const deleted = await t.app.inject({
      method: 'DELETE',
      url: `/admin/clients/${clientId}`,
      headers: bearer(admin),
    });
    expect(deleted.statusCode).toBe(204);
    expect(await lastEvent('admin.client.deleted')).toMatchObject({ actor: adminId, target_id: clientId });
  });

  it('auth.access.denied for a 403', async () => {
    const weak = (await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD, 'orders:read')).access_token;
    secrets.push(weak);
    const res = await t.app.inject({
      method: 'GET',
      url: '/admin/operators',
      headers: bearer(weak),
      ...FROM_CANARY_IP,
    });
    expect(res.statusCode).toBe(403);
    expect(await lastEvent('auth.access.denied')).toMatchObject({
      actor: adminId,
      outcome: 'denied',
      target_id: 'GET /admin/operators',
      details: { reason: 'insufficient_scope', requiredScopes: ['admin'] },
    });
  });

  it('canary: no personal data or secret pushed through the actions above is in any event', async () => {
    const rows = await ds.query<{ row: string }[]>(
      `SELECT row_to_json(e)::text AS row FROM audit_events e ORDER BY arrival`,
    );
    const text = rows.map((r) => r.row).join('\n');
    expect(rows.length).toBeGreaterThan(20);
    const forbidden = [
      ...Object.values(CANARY),
      CANARY.unknownUser.split('@')[0],
      'canary',
      TEST_ADMIN_PASSWORD,
      ...secrets.filter((s) => s.length > 0),
      ...secrets.filter((s) => s.length > 0).map((s) => createHash('sha256').update(s).digest('hex')),
    ];
    for (const value of forbidden)
      expect(text.toLowerCase(), `found ${value.slice(0, 12)}...`).not.toContain(value.toLowerCase());
    // The network is kept, the address is not.
    expect(text).toContain('203.0.113.0/24');
    expect((await verifyViaApi(t.app, admin)).valid).toBe(true);
  });
});
