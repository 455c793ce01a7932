import type { OAuthClientEntity } from '../clients/oauth-client.entity.js';
import type { IdTokenHint } from '../tokens/access-tokens.service.js';
import { withResponseParams } from './authorization-request.js';

const LOGOUT_PARAMS = ['client_id', 'id_token_hint', 'post_logout_redirect_uri', 'state'] as const;
const MAX_STATE_LENGTH = 1024;
/** Far above any ID token this server signs; a longer "hint" is not one. */
const MAX_HINT_LENGTH = 4096;

export type LogoutCheck =
  | { readonly kind: 'page'; readonly message: string }
  | {
      readonly kind: 'ok';
      readonly clientId: string | undefined;
      readonly postLogoutRedirectUri: string | undefined;
      readonly state: string | undefined;
    };

/**
 * An RP-initiated logout request (OpenID Connect RP-Initiated Logout 1.0 §2-3). The client is
 * named by an `id_token_hint` this server issued (its `aud`), by `client_id`, or both, and then
 * they must agree (§2: the OP MUST check that the client is the one the ID token was issued
 * to). A hint that does not verify is refused, never ignored. A `post_logout_redirect_uri`
 * must be one the client registered, exactly, or the answer is a page and never a redirect.
 * Messages are fixed text.
 */
export async function checkLogoutRequest(
  raw: unknown,
  findClient: (clientId: string) => Promise<OAuthClientEntity | null>,
  verifyHint: (idToken: string) => Promise<IdTokenHint | undefined>,
): Promise<LogoutCheck> {
  const values = new Map<string, string>();
  if (raw !== null && typeof raw === 'object') {
    for (const name of LOGOUT_PARAMS) {
      const value = (raw as Record<string, unknown>)[name];
      if (Array.isArray(value)) return { kind: 'page', message: 'The sign-out request repeats a parameter.' };
      if (typeof value === 'string' && value !== '') values.set(name, value);
    }
  }
  let clientId = values.get('client_id');
  const hint = values.get('id_token_hint');
  if (hint !== undefined) {
    const claims = hint.length > MAX_HINT_LENGTH ? undefined : await verifyHint(hint);
    if (!claims) return { kind: 'page', message: 'The id_token_hint is not an ID token this server issued.' };
    if (clientId !== undefined && clientId !== claims.aud) {
      return { kind: 'page', message: 'The client_id is not the client the id_token_hint was issued to.' };
    }
    clientId = claims.aud;
  }
  const uri = values.get('post_logout_redirect_uri');
  const state = values.get('state');
  if (state !== undefined && state.length > MAX_STATE_LENGTH) {
    return { kind: 'page', message: 'The sign-out request has an over-long state.' };
  }
  if (uri !== undefined && clientId === undefined) {
    return {
      kind: 'page',
      message:
        'A post_logout_redirect_uri needs the client_id (or id_token_hint) of the client it is registered for.',
    };
  }
  if (clientId === undefined)
    return { kind: 'ok', clientId, postLogoutRedirectUri: undefined, state: undefined };
  const client = await findClient(clientId);
  if (!client) return { kind: 'page', message: 'The sign-out request names an unknown client.' };
  if (uri !== undefined && !client.postLogoutRedirectUris.includes(uri)) {
    return { kind: 'page', message: 'The post_logout_redirect_uri is not registered for this client.' };
  }
  return { kind: 'ok', clientId, postLogoutRedirectUri: uri, state: uri === undefined ? undefined : state };
}

/** Where a finished logout goes: the registered URI with `state`, or nowhere (a page). */
export function afterLogout(check: Extract<LogoutCheck, { kind: 'ok' }>): string | undefined {
  return check.postLogoutRedirectUri === undefined
    ? undefined
    : withResponseParams(check.postLogoutRedirectUri, { state: check.state });
}
