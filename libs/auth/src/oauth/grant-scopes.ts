import { isScope, parseScopeParam, type Scope } from '@orderops/access';
import { OAuthError } from '../auth.errors.js';

export const invalidScope = (): OAuthError =>
  new OAuthError('invalid_scope', 'The requested scope is invalid or not allowed.');

/**
 * A token carries what was asked for, narrowed to what the subject and the client may have
 * (DESIGN §3). No scope parameter asks for everything allowed. Asking for an unknown scope,
 * or ending with none, is an error rather than a silently different token.
 */
export function grantScopes(requested: string | undefined, ...allowed: readonly string[][]): Scope[] {
  const permitted = (scope: Scope): boolean => allowed.every((list) => list.includes(scope));
  if (requested === undefined) {
    const all = allowed[0].filter((s): s is Scope => isScope(s) && permitted(s));
    if (all.length === 0) throw invalidScope();
    return all;
  }
  const { scopes, unknown } = parseScopeParam(requested);
  if (unknown.length > 0 || scopes.length === 0) throw invalidScope();
  const granted = scopes.filter(permitted);
  if (granted.length === 0) throw invalidScope();
  return granted;
}
