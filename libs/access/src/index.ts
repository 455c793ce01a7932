export { CurrentPrincipal } from './current-principal.decorator.js';
export { CurrentReach } from './current-reach.decorator.js';
export {
  HOUSE_REACH,
  ownedBy,
  Ownership,
  OWNERSHIP_KEY,
  OwnershipRule,
  ownerWhere,
  type Reach,
  reachOf,
} from './ownership.js';
export { type Principal, type PrincipalType } from './principal.js';
export { IS_PUBLIC_KEY, Public } from './public.decorator.js';
export { OAUTH2_SECURITY_SCHEME, REQUIRED_SCOPES_KEY, RequireScopes } from './require-scopes.decorator.js';
export { ALL_SCOPES, formatScopes, isScope, parseScopeParam, Scope, SCOPE_DESCRIPTIONS } from './scopes.js';
