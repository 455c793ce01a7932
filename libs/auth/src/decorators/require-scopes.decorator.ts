export { OAUTH2_SECURITY_SCHEME, REQUIRED_SCOPES_KEY, RequireScopes } from '@orderops/core';
