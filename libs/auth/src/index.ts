export { AuthCoreModule, AuthModule } from './auth.module.js';
export { AuthErrorCode } from './auth.errors.js';
export { authSchema } from './auth.schema.js';
export { ClientsService, DOCS_CLIENT_ID, DOCS_REDIRECT_PATH } from './clients/clients.service.js';
export {
  GRANT_TYPES,
  TOKEN_ENDPOINT_AUTH_METHODS,
  type GrantType,
  type OAuthClientEntity,
  type TokenEndpointAuthMethod,
} from './clients/oauth-client.entity.js';
export { SigningKeysService } from './keys/signing-keys.service.js';
export { AMR_OTP, MFA_PRODUCTION_DEFAULT_SCOPES, MfaPolicy, type ScopeDecision } from './mfa/mfa-policy.js';
export {
  MfaService,
  type MfaCheck,
  type MfaConfirmation,
  type MfaEnrolment,
  type MfaStatus,
} from './mfa/mfa.service.js';
export {
  ACCOUNT_SLOWDOWN_AFTER_FAILURES,
  ACCOUNT_SLOWDOWN_MS,
  LOCK_AFTER_FAILURES,
  MAX_LOCK_SECONDS,
  OperatorsService,
} from './operators/operators.service.js';
export { usernameRuleViolation } from './operators/username-rule.js';
export { commonPasswordCount } from './passwords/password-policy.js';
export { auditActorOf } from './principal.js';
