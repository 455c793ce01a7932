import { Module } from '@nestjs/common';
import { AuthMetrics } from './auth.metrics.js';
import { AuthorizationCodesRepository } from './authorize/authorization-codes.repository.js';
import { AuthorizeController } from './authorize/authorize.controller.js';
import { AuthorizeService } from './authorize/authorize.service.js';
import { SessionsRepository } from './sessions/sessions.repository.js';
import { SignInStepsRepository } from './sessions/sign-in-steps.repository.js';
import { SessionsService } from './sessions/sessions.service.js';
import { APP_GUARD } from '@nestjs/core';
import { AuditCoreModule, TreeHeadSigner } from '@orderops/audit';
import { AdminController } from './admin/admin.controller.js';
import { BootstrapService } from './bootstrap/bootstrap.service.js';
import { ClientsRepository } from './clients/clients.repository.js';
import { ClientsService } from './clients/clients.service.js';
import { AccessTokenGuard } from './guards/access-token.guard.js';
import { MeController } from './me/me.controller.js';
import { UserinfoController } from './me/userinfo.controller.js';
import { SigningKeysRepository } from './keys/signing-keys.repository.js';
import { SigningKeysService } from './keys/signing-keys.service.js';
import { ClientAuthenticator } from './oauth/client-authenticator.js';
import { MfaAdminController } from './mfa/mfa-admin.controller.js';
import { MfaPolicy } from './mfa/mfa-policy.js';
import { MfaRepository } from './mfa/mfa.repository.js';
import { MfaService } from './mfa/mfa.service.js';
import { OAuthController } from './oauth/oauth.controller.js';
import { OAuthService } from './oauth/oauth.service.js';
import { LoginLocksRepository } from './operators/login-locks.repository.js';
import { OperatorsRepository } from './operators/operators.repository.js';
import { OperatorsService } from './operators/operators.service.js';
import { PasswordHasher } from './passwords/password-hasher.js';
import { AccessTokenVerifier } from './tokens/access-token-verifier.js';
import { AccessTokensRepository } from './tokens/access-tokens.repository.js';
import { AccessTokensService } from './tokens/access-tokens.service.js';
import { TokenStandingCache } from './tokens/token-standing-cache.js';
import { RefreshTokensRepository } from './tokens/refresh-tokens.repository.js';
import { RefreshTokensService } from './tokens/refresh-tokens.service.js';

/** The only code that queries the auth tables; no other lib needs them, so none is exported. */
const repositories = [
  OperatorsRepository,
  LoginLocksRepository,
  ClientsRepository,
  SigningKeysRepository,
  RefreshTokensRepository,
  AccessTokensRepository,
  MfaRepository,
  SessionsRepository,
  SignInStepsRepository,
  AuthorizationCodesRepository,
];

const services = [
  AuthMetrics,
  TokenStandingCache,
  PasswordHasher,
  OperatorsService,
  ClientsService,
  SigningKeysService,
  AccessTokensService,
  RefreshTokensService,
  AccessTokenVerifier,
  ClientAuthenticator,
  MfaPolicy,
  MfaService,
  OAuthService,
  SessionsService,
  AuthorizeService,
];

/** Tree heads of the audit log are signed with the token-signing keys (one JWKS for both). */
const treeHeadSigner = { provide: TreeHeadSigner, useExisting: SigningKeysService };

/** The OAuth 2.0 authorization server and the deny-by-default bearer guard. */
@Module({
  imports: [AuditCoreModule],
  controllers: [
    OAuthController,
    AuthorizeController,
    AdminController,
    MfaAdminController,
    MeController,
    UserinfoController,
  ],
  providers: [
    ...repositories,
    ...services,
    BootstrapService,
    treeHeadSigner,
    { provide: APP_GUARD, useClass: AccessTokenGuard },
  ],
  exports: [...services, treeHeadSigner],
})
export class AuthModule {}

/** The same services without HTTP, bootstrap or guard: for the command line. */
@Module({
  imports: [AuditCoreModule],
  providers: [...repositories, ...services, treeHeadSigner],
  exports: [...services, treeHeadSigner],
})
export class AuthCoreModule {}
