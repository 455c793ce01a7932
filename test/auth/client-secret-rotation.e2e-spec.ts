import { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { basic, bearer, postForm } from '../support/auth.js';
import { useTestApp } from '../support/use-test-app.js';

/** POST /admin/clients/:clientId/secret (issue 14 §4): a new secret, the old one valid for a window. */

describe('client secret rotation', () => {
  const t = useTestApp({
    operators: { clerk: ['orders:read'] },
    clients: { 'Rotating Partner': ['orders:read'], 'Second Partner': ['orders:read'] },
    signIn: ['admin', 'clerk'],
  });

  const rotate = (clientId: string, payload?: Record<string, unknown>, token = t.token('admin')) =>
    t.app.inject({
      method: 'POST',
      url: `/admin/clients/${encodeURIComponent(clientId)}/secret`,
      headers: bearer(token),
      ...(payload ? { payload } : {}),
    });

  const grant = async (clientId: string, secret: string): Promise<number> =>
    (await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, basic(clientId, secret)))
      .statusCode;

  /** Puts the previous secret's expiry in the past, as time passing would. */
  const expirePrevious = (clientId: string) =>
    t.app
      .get(DataSource)
      .query(
        `UPDATE oauth_clients SET previous_secret_expires_at = now() - interval '1 second' WHERE client_id = $1`,
        [clientId],
      );

  it('issues a new secret that works; the old one works until its expiry (24 h by default), then fails', async () => {
    const { clientId, clientSecret: old } = t.client('Rotating Partner');
    const before = Date.now();
    const res = await rotate(clientId);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ clientId: string; clientSecret: string; previousSecretValidUntil: string }>();
    expect(body.clientId).toBe(clientId);
    expect(body.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.clientSecret).not.toBe(old);
    const until = Date.parse(body.previousSecretValidUntil) - before;
    expect(until).toBeGreaterThanOrEqual(24 * 3600 * 1000 - 1000);
    expect(until).toBeLessThan(24 * 3600 * 1000 + 60_000);

    expect(await grant(clientId, body.clientSecret)).toBe(200);
    expect(await grant(clientId, old)).toBe(200);
    await expirePrevious(clientId);
    expect(await grant(clientId, old)).toBe(401);
    expect(await grant(clientId, body.clientSecret)).toBe(200);

    // Shown once in the answer, never in the logs.
    expect(t.logs.text).not.toContain(body.clientSecret);
  });

  it('keeps one previous secret: a second rotation inside the window ends the first secret at once', async () => {
    const { clientId, clientSecret: first } = t.client('Second Partner');
    const second = (await rotate(clientId, { previousValidForSeconds: 3600 })).json<{
      clientSecret: string;
    }>().clientSecret;
    const third = (await rotate(clientId, { previousValidForSeconds: 3600 })).json<{ clientSecret: string }>()
      .clientSecret;
    expect(await grant(clientId, first)).toBe(401);
    expect(await grant(clientId, second)).toBe(200);
    expect(await grant(clientId, third)).toBe(200);
  });

  it('ends the old secret at once with previousValidForSeconds 0', async () => {
    const { clientId } = t.client('Second Partner');
    const current = (await rotate(clientId, { previousValidForSeconds: 0 })).json<{
      clientSecret: string;
      previousSecretValidUntil: string | null;
    }>();
    expect(current.previousSecretValidUntil).toBeNull();
    const next = (await rotate(clientId, { previousValidForSeconds: 0 })).json<{ clientSecret: string }>();
    expect(await grant(clientId, current.clientSecret)).toBe(401);
    expect(await grant(clientId, next.clientSecret)).toBe(200);
  });

  it('refuses a window outside 0..7 days, or not an integer, as a 400 problem', async () => {
    const { clientId } = t.client('Second Partner');
    for (const previousValidForSeconds of [-1, 7 * 24 * 3600 + 1, 1.5, '3600']) {
      const res = await rotate(clientId, { previousValidForSeconds });
      expect(res.statusCode, String(previousValidForSeconds)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await rotate(clientId, { previousValidForSeconds: 7 * 24 * 3600 })).statusCode).toBe(200);
  });

  it('answers 404 for an unknown client', async () => {
    const res = await rotate('ptn_no_such_client');
    expect(res.statusCode).toBe(404);
    expect(res.json<{ type: string }>().type).toBe('urn:orderops:problem:client-not-found');
  });

  it('refuses the built-in public clients with a 409 problem', async () => {
    for (const clientId of ['orderops-web', 'orderops-docs']) {
      const res = await rotate(clientId);
      expect(res.statusCode).toBe(409);
      expect(res.json<{ type: string; detail: string }>()).toMatchObject({
        type: 'urn:orderops:problem:public-client-secret',
        detail: expect.stringContaining('public and has no secret') as string,
      });
    }
  });

  it('needs the admin scope (403), and a partner client cannot rotate its own secret', async () => {
    const { clientId } = t.client('Rotating Partner');
    expect((await rotate(clientId, undefined, t.token('clerk'))).statusCode).toBe(403);
    const partner = t.client('Second Partner');
    const own = await rotate(partner.clientId);
    const secret = own.json<{ clientSecret: string }>().clientSecret;
    const token = (
      await postForm(
        t.app,
        '/oauth/token',
        { grant_type: 'client_credentials' },
        basic(partner.clientId, secret),
      )
    ).json<{ access_token: string }>().access_token;
    expect((await rotate(partner.clientId, undefined, token)).statusCode).toBe(403);
  });

  it('audits admin.client.secret_rotated with the window and no secret or hash', async () => {
    const { clientId } = t.client('Rotating Partner');
    const ds = t.app.get(DataSource);
    const secret = (await rotate(clientId, { previousValidForSeconds: 600 })).json<{ clientSecret: string }>()
      .clientSecret;
    const [hashes] = await ds.query<{ secret_hash: string; previous_secret_hash: string }[]>(
      'SELECT secret_hash, previous_secret_hash FROM oauth_clients WHERE client_id = $1',
      [clientId],
    );
    const events = await ds.query<{ action: string; target_id: string; details: unknown }[]>(
      `SELECT action, target_id, details FROM audit_events WHERE action = 'admin.client.secret_rotated' ORDER BY arrival DESC`,
    );
    expect(events[0]).toMatchObject({
      target_id: clientId,
      details: { previousValidForSeconds: 600, previousValidUntil: expect.any(String) as string },
    });
    const text = JSON.stringify(events);
    for (const value of [
      secret,
      hashes.secret_hash,
      hashes.previous_secret_hash,
      t.client('Rotating Partner').clientSecret,
    ])
      expect(text).not.toContain(value);
  });
});
