import { redirectUriViolation, type FieldProblem } from '@orderops/core';
import type { GrantType, TokenEndpointAuthMethod } from './oauth-client.entity.js';

/** What a client registers about its flows (RFC 7591 §2 names, in camelCase). */
export interface ClientFlows {
  readonly grantTypes: readonly GrantType[];
  readonly tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
}

/** Registered redirect URIs per client, at most. */
export const MAX_REDIRECT_URIS = 10;

/** A client asking only for redirect URIs uses the code flow; otherwise it is a machine. */
export function defaultGrantTypes(redirectUris: readonly string[]): GrantType[] {
  return redirectUris.length > 0 ? ['authorization_code', 'refresh_token'] : ['client_credentials'];
}

/**
 * Why these flows cannot be registered, as field problems (empty when they can). The same
 * rules hold for the admin API and the command line (`orderops clients create|update`);
 * texts never echo a value.
 */
export function clientFlowProblems(flows: ClientFlows): FieldProblem[] {
  const problems: FieldProblem[] = [
    ...uriListProblems('redirectUris', flows.redirectUris),
    ...uriListProblems('postLogoutRedirectUris', flows.postLogoutRedirectUris),
  ];
  const grants = new Set(flows.grantTypes);
  const grantProblem = (message: string) => problems.push({ field: 'grantTypes', code: 'invalid', message });
  // RFC 9700 §2.4: the password grant MUST NOT be used; only the built-in apps keep it.
  if (grants.has('password')) grantProblem('grantTypes must not include password');
  if (grants.size === 0) grantProblem('grantTypes must not be empty');
  if (flows.tokenEndpointAuthMethod === 'none' && grants.has('client_credentials')) {
    grantProblem('a public client (tokenEndpointAuthMethod none) cannot use client_credentials');
  }
  if (grants.has('authorization_code') && flows.redirectUris.length === 0) {
    grantProblem('authorization_code needs at least one redirect URI');
  }
  if (!grants.has('authorization_code') && flows.redirectUris.length > 0) {
    grantProblem('redirect URIs are only for clients with the authorization_code grant');
  }
  if (grants.has('refresh_token') && !grants.has('authorization_code')) {
    grantProblem('refresh_token is only issued with authorization_code');
  }
  if (!grants.has('authorization_code') && flows.postLogoutRedirectUris.length > 0) {
    grantProblem('post-logout redirect URIs are only for clients with the authorization_code grant');
  }
  return problems;
}

/** Each URI by position, and no URI twice. */
export function uriListProblems(
  field: 'redirectUris' | 'postLogoutRedirectUris',
  uris: readonly string[],
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  uris.forEach((uri, index) => {
    const violation = redirectUriViolation(uri);
    if (violation)
      problems.push({ field, code: 'invalid_format', message: `${field}[${index}] ${violation}` });
  });
  if (new Set(uris).size !== uris.length) {
    problems.push({ field, code: 'duplicate_items', message: `${field} lists a URI twice` });
  }
  return problems;
}
