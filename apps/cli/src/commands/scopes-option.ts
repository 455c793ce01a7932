import { ALL_SCOPES, isScope, type Scope } from '@orderops/access';
import { CliError } from '../cli.errors.js';

/** `--scopes orders:read,orders:write` (or `all`), refusing unknown names. */
export function parseScopesOption(value: string): Scope[] {
  if (value.trim() === 'all') return [...ALL_SCOPES];
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const unknown = names.filter((s) => !isScope(s));
  if (unknown.length > 0)
    throw new CliError(`unknown scope(s): ${unknown.join(', ')}; known: ${ALL_SCOPES.join(', ')}`);
  return names.filter(isScope);
}
