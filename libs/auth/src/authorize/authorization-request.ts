import { parseScopeParam } from '@orderops/access';
import { matchesLoopbackRedirect } from '@orderops/core';
import type { OAuthClientEntity } from '../clients/oauth-client.entity.js';

/** The parameters of GET /oauth/authorize this server reads; others are ignored (RFC 6749 §3.1). */
export const AUTHORIZE_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'nonce',
] as const;

/** The OpenID Connect scope: asks for an ID token, grants no API permission. */
export const OPENID_SCOPE = 'openid';
const MAX_NONCE_LENGTH = 256;

/** A `state` longer than this is refused: it rides in a URL back to the client. */
const MAX_STATE_LENGTH = 1024;
/** RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is always 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** RFC 6749 §4.1.2.1 error codes of the authorization endpoint. */
export type AuthorizeErrorCode =
  | 'invalid_request'
  | 'unauthorized_client'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'server_error'
  | 'temporarily_unavailable';

export interface CheckedAuthorization {
  readonly client: OAuthClientEntity;
  readonly redirectUri: string;
  readonly redirectUriInRequest: boolean;
  readonly state: string | undefined;
  /** The API scopes asked for (without `openid`); undefined: everything allowed. */
  readonly scope: string | undefined;
  readonly openid: boolean;
  readonly nonce: string | undefined;
  readonly codeChallenge: string;
  /** The request's parameters this server reads, to replay it after sign-in. */
  readonly query: string;
}

export type AuthorizationCheck =
  | { readonly kind: 'ok'; readonly request: CheckedAuthorization }
  /** No trustworthy redirect URI: answered with an error page, never a redirect. */
  | { readonly kind: 'page'; readonly message: string }
  /** The redirect URI is the client's: the error goes back to it (§4.1.2.1). */
  | {
      readonly kind: 'redirect';
      readonly redirectUri: string;
      readonly state: string | undefined;
      readonly error: AuthorizeErrorCode;
      readonly description: string;
    };

/** The parameters as single strings, or the names given more than once. */
function readParams(raw: unknown): { values: Map<string, string>; repeated: Set<string> } {
  const values = new Map<string, string>();
  const repeated = new Set<string>();
  if (raw !== null && typeof raw === 'object') {
    for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
      if (Array.isArray(value)) repeated.add(name);
      // Empty parameters are treated as omitted (RFC 6749 §3.1).
      else if (typeof value === 'string' && value !== '') values.set(name, value);
    }
  }
  return { values, repeated };
}

/**
 * The client's redirect URI for this request: the presented one when it is registered
 * exactly (or, for a loopback http registration, differs only in its port, RFC 8252 §7.3),
 * the only registered one when none is presented; undefined otherwise.
 */
export function resolveRedirectUri(
  client: OAuthClientEntity,
  presented: string | undefined,
): string | undefined {
  if (presented === undefined) return client.redirectUris.length === 1 ? client.redirectUris[0] : undefined;
  if (client.redirectUris.includes(presented)) return presented;
  return client.redirectUris.some((registered) => matchesLoopbackRedirect(registered, presented))
    ? presented
    : undefined;
}

/**
 * Checks an authorization request in the order RFC 6749 §4.1.2.1 demands: client and
 * redirect URI first (their faults are never redirected), then everything else as an error
 * sent back to the client. Messages are fixed text, never a submitted value.
 */
export async function checkAuthorizationRequest(
  raw: unknown,
  findClient: (clientId: string) => Promise<OAuthClientEntity | null>,
): Promise<AuthorizationCheck> {
  const { values, repeated } = readParams(raw);
  if (repeated.has('client_id') || repeated.has('redirect_uri')) {
    return { kind: 'page', message: 'The request repeats client_id or redirect_uri.' };
  }
  const clientId = values.get('client_id');
  if (clientId === undefined) return { kind: 'page', message: 'The request names no client (client_id).' };
  const client = await findClient(clientId);
  if (!client) return { kind: 'page', message: 'The request names an unknown client.' };
  const presented = values.get('redirect_uri');
  const redirectUri = resolveRedirectUri(client, presented);
  if (redirectUri === undefined) {
    return {
      kind: 'page',
      message:
        presented === undefined
          ? 'The request has no redirect_uri, and the client has more than one (or none) registered.'
          : 'The redirect_uri is not registered for this client.',
    };
  }
  const state = repeated.has('state') ? undefined : values.get('state');
  const fail = (error: AuthorizeErrorCode, description: string): AuthorizationCheck => ({
    kind: 'redirect',
    redirectUri,
    state,
    error,
    description,
  });
  const readNames: readonly string[] = AUTHORIZE_PARAMS;
  if ([...repeated].some((name) => readNames.includes(name))) {
    return fail('invalid_request', 'A parameter is repeated.');
  }
  if (state !== undefined && state.length > MAX_STATE_LENGTH) {
    return fail('invalid_request', `state must be at most ${MAX_STATE_LENGTH} characters.`);
  }
  const responseType = values.get('response_type');
  if (responseType === undefined) return fail('invalid_request', 'Missing parameter response_type.');
  if (responseType !== 'code')
    return fail('unsupported_response_type', 'Only response_type=code is supported.');
  if (!client.grantTypes.includes('authorization_code')) {
    return fail('unauthorized_client', 'This client may not use the authorization code flow.');
  }
  const challenge = values.get('code_challenge');
  const method = values.get('code_challenge_method');
  // RFC 9700 §2.1.1: PKCE for every client; only S256 (plain would show the verifier).
  if (challenge === undefined) return fail('invalid_request', 'PKCE is required: send code_challenge.');
  if (method !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256.');
  if (!S256_CHALLENGE.test(challenge)) {
    return fail('invalid_request', 'code_challenge must be 43 base64url characters (S256).');
  }
  const names = (values.get('scope') ?? '').split(' ').filter((s) => s.length > 0);
  const openid = names.includes(OPENID_SCOPE);
  const apiScopes = names.filter((s) => s !== OPENID_SCOPE);
  const scope = apiScopes.length > 0 ? apiScopes.join(' ') : undefined;
  if (scope !== undefined) {
    const { scopes, unknown } = parseScopeParam(scope);
    if (unknown.length > 0 || scopes.length === 0) {
      return fail('invalid_scope', 'The requested scope is invalid or not allowed.');
    }
  }
  const nonce = values.get('nonce');
  if (nonce !== undefined && nonce.length > MAX_NONCE_LENGTH) {
    return fail('invalid_request', `nonce must be at most ${MAX_NONCE_LENGTH} characters.`);
  }
  const query = new URLSearchParams();
  for (const name of AUTHORIZE_PARAMS) {
    const value = values.get(name);
    if (value !== undefined) query.set(name, value);
  }
  return {
    kind: 'ok',
    request: {
      client,
      redirectUri,
      redirectUriInRequest: presented !== undefined,
      state,
      scope,
      openid,
      nonce,
      codeChallenge: challenge,
      query: query.toString(),
    },
  };
}

/**
 * The redirect URI with response parameters added to its query (§4.1.2: any query it has
 * is kept as it is; registered URIs have no fragment).
 */
export function withResponseParams(redirectUri: string, params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) search.set(name, value);
  const separator = redirectUri.includes('?')
    ? redirectUri.endsWith('?') || redirectUri.endsWith('&')
      ? ''
      : '&'
    : '?';
  return `${redirectUri}${separator}${search.toString()}`;
}
