import { describe, expect, it } from 'vitest';
import { clientFlowProblems, defaultGrantTypes, type ClientFlows } from './client-registration.js';

const spa: ClientFlows = {
  grantTypes: ['authorization_code', 'refresh_token'],
  tokenEndpointAuthMethod: 'none',
  redirectUris: ['https://app.example.com/callback', 'http://127.0.0.1/cb'],
  postLogoutRedirectUris: ['https://app.example.com/'],
};

describe('clientFlowProblems', () => {
  it('accepts a public code-flow client and a partner machine', () => {
    expect(clientFlowProblems(spa)).toEqual([]);
    expect(
      clientFlowProblems({
        grantTypes: ['client_credentials'],
        tokenEndpointAuthMethod: 'client_secret_post',
        redirectUris: [],
        postLogoutRedirectUris: [],
      }),
    ).toEqual([]);
  });

  it.each<[string, Partial<ClientFlows>, string]>([
    [
      'a bad redirect URI, by position',
      { redirectUris: ['https://a.example/cb', 'http://x.example/cb'] },
      'redirectUris[1] must be https',
    ],
    [
      'a fragment in a post-logout URI',
      { postLogoutRedirectUris: ['https://a.example/#x'] },
      'postLogoutRedirectUris[0] must not contain a fragment',
    ],
    ['a URI twice', { redirectUris: ['https://a.example/cb', 'https://a.example/cb'] }, 'twice'],
    ['the password grant', { grantTypes: ['authorization_code', 'password'] }, 'password'],
    ['no grant', { grantTypes: [] }, 'empty'],
    [
      'client_credentials without a secret',
      { grantTypes: ['client_credentials'], redirectUris: [], postLogoutRedirectUris: [] },
      'public client',
    ],
    ['the code flow without redirect URIs', { redirectUris: [] }, 'at least one redirect URI'],
    [
      'redirect URIs without the code flow',
      { grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'client_secret_basic' },
      'only for clients',
    ],
    [
      'refresh tokens without the code flow',
      { grantTypes: ['refresh_token'], redirectUris: [], postLogoutRedirectUris: [] },
      'refresh_token',
    ],
  ])('refuses %s', (_, change, message) => {
    const messages = clientFlowProblems({ ...spa, ...change }).map((p) => p.message);
    expect(messages.join('\n')).toContain(message);
  });

  it('defaults to the code flow when redirect URIs are given, client_credentials otherwise', () => {
    expect(defaultGrantTypes(['https://a.example/cb'])).toEqual(['authorization_code', 'refresh_token']);
    expect(defaultGrantTypes([])).toEqual(['client_credentials']);
  });
});
