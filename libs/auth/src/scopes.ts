// The scope map lives in core so every lib's controllers can declare access; auth re-exports it.
export {
  ALL_SCOPES,
  formatScopes,
  isScope,
  parseScopeParam,
  Scope,
  SCOPE_DESCRIPTIONS,
} from '@orderops/core';
