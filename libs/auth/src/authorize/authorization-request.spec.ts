import { describe, expect, it } from 'vitest';
import type { OAuthClientEntity } from '../clients/oauth-client.entity.js';
import {
  checkAuthorizationRequest,
  resolveRedirectUri,
  withResponseParams,
} from './authorization-request.js';

const client = (redirectUris: string[], extra: Partial<OAuthClientEntity> = {}): OAuthClientEntity =>
  ({
    clientId: 'app',
    name: 'App',
    type: 'public',
    firstParty: true,
    grantTypes: ['authorization_code'],
    scopes: ['orders:read'],
    redirectUris,
    postLogoutRedirectUris: [],
    tokenEndpointAuthMethod: 'none',
    ...extra,
  }) as OAuthClientEntity;

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('resolveRedirectUri', () => {
  const app = client(['https://a.example/cb', 'http://127.0.0.1/native']);

  it('matches registered URIs exactly, and loopback ones on any port', () => {
    expect(resolveRedirectUri(app, 'https://a.example/cb')).toBe('https://a.example/cb');
    expect(resolveRedirectUri(app, 'http://127.0.0.1:61000/native')).toBe('http://127.0.0.1:61000/native');
  });

  it.each([
    'https://a.example/cb/',
    'https://a.example/c',
    'https://a.example/cb?x',
    'https://a.example:444/cb',
    'http://127.0.0.1:61000/native/x',
    'http://localhost:61000/native',
  ])('refuses %s', (presented) => {
    expect(resolveRedirectUri(app, presented)).toBeUndefined();
  });

  it('needs a redirect_uri unless exactly one is registered', () => {
    expect(resolveRedirectUri(app, undefined)).toBeUndefined();
    expect(resolveRedirectUri(client(['https://a.example/cb']), undefined)).toBe('https://a.example/cb');
    expect(resolveRedirectUri(client([]), undefined)).toBeUndefined();
  });
});

describe('withResponseParams', () => {
  it('adds to the query and keeps one the URI has, as it is', () => {
    expect(withResponseParams('https://a.example/cb', { code: 'c', state: 'a b' })).toBe(
      'https://a.example/cb?code=c&state=a+b',
    );
    expect(withResponseParams('https://a.example/cb?t=%20x', { code: 'c' })).toBe(
      'https://a.example/cb?t=%20x&code=c',
    );
    expect(withResponseParams('https://a.example/cb?', { code: 'c', state: undefined })).toBe(
      'https://a.example/cb?code=c',
    );
  });
});

describe('checkAuthorizationRequest', () => {
  const find = (c: OAuthClientEntity) => (id: string) => Promise.resolve(id === c.clientId ? c : null);
  const base = {
    response_type: 'code',
    client_id: 'app',
    redirect_uri: 'https://a.example/cb',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
  };

  it('replays only the parameters it reads', async () => {
    const check = await checkAuthorizationRequest(
      { ...base, prompt: 'none', extra: 'x' },
      find(client(['https://a.example/cb'])),
    );
    expect(check.kind).toBe('ok');
    if (check.kind === 'ok') expect(check.request.query).not.toContain('extra');
  });

  it('checks the client before anything else: no redirect for a client that cannot have one', async () => {
    const check = await checkAuthorizationRequest(
      { ...base, response_type: 'token' },
      find(client(['https://a.example/cb'], { grantTypes: ['client_credentials'], redirectUris: [] })),
    );
    expect(check.kind).toBe('page');
  });

  it('refuses a client without the code grant by redirect (unauthorized_client)', async () => {
    const check = await checkAuthorizationRequest(
      base,
      find(client(['https://a.example/cb'], { grantTypes: ['client_credentials'] })),
    );
    expect(check).toMatchObject({ kind: 'redirect', error: 'unauthorized_client' });
  });

  it('refuses an over-long state', async () => {
    const check = await checkAuthorizationRequest(
      { ...base, state: 'x'.repeat(1025) },
      find(client(['https://a.example/cb'])),
    );
    expect(check).toMatchObject({ kind: 'redirect', error: 'invalid_request', state: 'x'.repeat(1025) });
  });
});
