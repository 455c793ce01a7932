import type { OAuthClientEntity } from '../clients/oauth-client.entity.js';
import { withResponseParams } from './authorization-request.js';

const LOGOUT_PARAMS = ['client_id', 'post_logout_redirect_uri', 'state'] as const;
const MAX_STATE_LENGTH = 1024;

export type LogoutCheck =
  | { readonly kind: 'page'; readonly message: string }
  | {
      readonly kind: 'ok';
      readonly clientId: string | undefined;
      readonly postLogoutRedirectUri: string | undefined;
      readonly state: string | undefined;
    };

/**
 * An RP-initiated logout request (OpenID Connect RP-Initiated Logout 1.0 §2-3). Without ID
 * tokens (not issued yet) the client names itself with `client_id`; a
 * `post_logout_redirect_uri` must be one it registered, exactly, or the answer is a page and
 * never a redirect. Messages are fixed text.
 */
export async function checkLogoutRequest(
  raw: unknown,
  findClient: (clientId: string) => Promise<OAuthClientEntity | null>,
): Promise<LogoutCheck> {
  const values = new Map<string, string>();
  if (raw !== null && typeof raw === 'object') {
    for (const name of LOGOUT_PARAMS) {
      const value = (raw as Record<string, unknown>)[name];
      if (Array.isArray(value)) return { kind: 'page', message: 'The sign-out request repeats a parameter.' };
      if (typeof value === 'string' && value !== '') values.set(name, value);
    }
  }
  const clientId = values.get('client_id');
  const uri = values.get('post_logout_redirect_uri');
  const state = values.get('state');
  if (state !== undefined && state.length > MAX_STATE_LENGTH) {
    return { kind: 'page', message: 'The sign-out request has an over-long state.' };
  }
  if (uri !== undefined && clientId === undefined) {
    return { kind: 'page', message: 'A post_logout_redirect_uri needs the client_id it is registered for.' };
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
