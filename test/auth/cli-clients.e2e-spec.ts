import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { storedEvents } from '../support/audit.js';
import { runCli } from '../support/processes.js';
import { authorizeQuery, pkce } from '../support/sign-in.js';
import { startTestApp } from '../support/test-app.js';
import { provisionTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * Issue 13 §1: the command line registers redirect URIs, post-logout redirect URIs and the
 * token endpoint auth method, through the same service and rules as POST and PATCH
 * /admin/clients (one rule, in one place), audited the same way. Negatives first.
 */
describe('orderops clients create|update with redirect URIs (built CLI)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await provisionTestDatabase();
    expect(runCli(['migrate'], db.env).status).toBe(0);
  }, 120_000);
  afterAll(async () => db?.dispose());

  const bad = [
    'not a uri',
    'https://*.example.com/cb',
    'https://app.example.com/cb#done',
    'http://app.example.com/cb',
  ];

  it('refuses a bad URI, a wildcard, a fragment and http to a network host, naming each position', () => {
    const res = runCli(
      [
        'clients',
        'create',
        'Refused app',
        '--scopes',
        'orders:read',
        '--token-endpoint-auth-method',
        'none',
        ...bad.flatMap((uri) => ['--redirect-uri', uri]),
      ],
      db.env,
    );
    expect(res.status).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain('redirectUris[0] must be an absolute URI');
    expect(res.stderr).toContain('redirectUris[1] must not contain a wildcard');
    expect(res.stderr).toContain('redirectUris[2] must not contain a fragment');
    expect(res.stderr).toContain('redirectUris[3] must be https unless its host is localhost');
    // The rule names positions, never the values.
    for (const uri of bad.slice(1)) expect(res.stderr).not.toContain(uri);
  }, 120_000);

  it('refuses an unknown auth method or grant type before touching the database', () => {
    const method = runCli(
      [
        'clients',
        'create',
        'X',
        '--scopes',
        'orders:read',
        '--token-endpoint-auth-method',
        'private_key_jwt',
      ],
      db.env,
    );
    expect(method.status).toBe(1);
    expect(method.stderr).toContain('unknown token endpoint auth method');
    const grant = runCli(
      ['clients', 'create', 'X', '--scopes', 'orders:read', '--grant-types', 'implicit'],
      db.env,
    );
    expect(grant.status).toBe(1);
    expect(grant.stderr).toContain('unknown grant type(s): implicit');
  }, 120_000);

  it('creates a public code-flow client, updates its URIs, audits both, and /oauth/authorize follows', async () => {
    const created = runCli(
      [
        'clients',
        'create',
        'Partner SPA',
        '--scopes',
        'orders:read',
        '--token-endpoint-auth-method',
        'none',
        '--redirect-uri',
        'https://spa.example.com/callback',
        '--post-logout-redirect-uri',
        'https://spa.example.com/',
      ],
      db.env,
    );
    expect(created.status, created.stderr).toBe(0);
    const clientId = /client_id=(\S+)/.exec(created.stdout)?.[1];
    expect(clientId).toMatch(/^ptn_/);
    expect(created.stdout).not.toContain('client_secret=');
    expect(created.stdout).toContain('type=public');
    expect(created.stdout).toContain('token_endpoint_auth_method=none');
    expect(created.stdout).toContain('grant_types=authorization_code refresh_token');
    expect(created.stdout).toContain('redirect_uri=https://spa.example.com/callback\n');

    // update: the same rules (a fragment refused), nothing changed by the refusal.
    const refused = runCli(
      ['clients', 'update', clientId!, '--redirect-uri', 'https://spa.example.com/cb#x'],
      db.env,
    );
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('redirectUris[0] must not contain a fragment');
    const nothing = runCli(['clients', 'update', clientId!], db.env);
    expect(nothing.status).toBe(1);
    expect(nothing.stderr).toContain('nothing to change');
    const builtIn = runCli(
      ['clients', 'update', 'orderops-docs', '--redirect-uri', 'https://x.example.com/cb'],
      db.env,
    );
    expect(builtIn.status).toBe(1);
    const pub = runCli(
      ['clients', 'update', clientId!, '--token-endpoint-auth-method', 'client_secret_basic'],
      db.env,
    );
    expect(pub.status).toBe(1);
    expect(pub.stderr).toContain('tokenEndpointAuthMethod of a public client stays none');

    const updated = runCli(
      [
        'clients',
        'update',
        clientId!,
        '--redirect-uri',
        'https://spa.example.com/v2/callback',
        '--redirect-uri',
        'http://127.0.0.1/callback',
        '--no-post-logout-redirect-uris',
      ],
      db.env,
    );
    expect(updated.status, updated.stderr).toBe(0);
    expect(updated.stdout).toContain(`Updated client ${clientId}`);
    expect(updated.stdout).toContain('redirect_uri=https://spa.example.com/v2/callback\n');
    expect(updated.stdout).not.toContain('post_logout_redirect_uri=');

    const t = await startTestApp(db.env);
    try {
      const ds = t.app.get(DataSource);
      const [createdEvent] = await storedEvents(ds, 'admin.client.created');
      expect(createdEvent).toMatchObject({ actor: 'cli', target_id: clientId });
      const updates = await storedEvents(ds, 'admin.client.updated');
      expect(updates).toHaveLength(1);
      expect(updates[0].details.changed).toEqual(['postLogoutRedirectUris', 'redirectUris']);
      // Counts, never a URI, as from the API.
      const trail = JSON.stringify([createdEvent, ...updates]);
      expect(trail).not.toContain('spa.example.com');

      const authorize = (redirectUri: string) =>
        t.app.inject({
          method: 'GET',
          url: `/oauth/authorize?${authorizeQuery({
            response_type: 'code',
            client_id: clientId!,
            redirect_uri: redirectUri,
            scope: 'orders:read',
            state: 's',
            code_challenge: pkce().challenge,
            code_challenge_method: 'S256',
          })}`,
        });
      // The new URI is accepted (the sign-in page), the replaced one is not a redirect target.
      expect((await authorize('https://spa.example.com/v2/callback')).statusCode).toBe(200);
      const old = await authorize('https://spa.example.com/callback');
      expect(old.statusCode).toBe(400);
      expect(old.headers.location).toBeUndefined();
    } finally {
      await t.close();
    }
  }, 240_000);
});
