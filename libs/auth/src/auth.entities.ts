import { AuthorizationCodeEntity } from './authorize/authorization-code.entity.js';
import { OAuthClientEntity } from './clients/oauth-client.entity.js';
import { SessionEntity } from './sessions/session.entity.js';
import { SignInStepEntity } from './sessions/sign-in-step.entity.js';
import { SigningKeyEntity } from './keys/signing-key.entity.js';
import { OperatorMfaEntity } from './mfa/operator-mfa.entity.js';
import { RecoveryCodeEntity } from './mfa/recovery-code.entity.js';
import { LoginLockEntity } from './operators/login-lock.entity.js';
import { OperatorEntity } from './operators/operator.entity.js';
import { RefreshTokenEntity } from './tokens/refresh-token.entity.js';
import { RevokedAccessTokenEntity } from './tokens/revoked-access-token.entity.js';

export const AUTH_ENTITIES = [
  OperatorEntity,
  OAuthClientEntity,
  SigningKeyEntity,
  RefreshTokenEntity,
  RevokedAccessTokenEntity,
  LoginLockEntity,
  OperatorMfaEntity,
  RecoveryCodeEntity,
  SessionEntity,
  AuthorizationCodeEntity,
  SignInStepEntity,
];
