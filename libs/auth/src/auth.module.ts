import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AuditCoreModule } from '@orderops/audit';
import { AdminController } from './admin/admin.controller.js';
import { BootstrapService } from './bootstrap/bootstrap.service.js';
import { ClientsService } from './clients/clients.service.js';
import { AccessTokenGuard } from './guards/access-token.guard.js';
import { JwtStrategy } from './guards/jwt.strategy.js';
import { SigningKeysService } from './keys/signing-keys.service.js';
import { ClientAuthenticator } from './oauth/client-authenticator.js';
import { OAuthController } from './oauth/oauth.controller.js';
import { OAuthService } from './oauth/oauth.service.js';
import { OperatorsService } from './operators/operators.service.js';
import { PasswordHasher } from './passwords/password-hasher.js';
import { AccessTokenVerifier } from './tokens/access-token-verifier.js';
import { AccessTokensService } from './tokens/access-tokens.service.js';
import { RefreshTokensService } from './tokens/refresh-tokens.service.js';

const services = [
  PasswordHasher,
  OperatorsService,
  ClientsService,
  SigningKeysService,
  AccessTokensService,
  RefreshTokensService,
  AccessTokenVerifier,
  ClientAuthenticator,
  OAuthService,
];

/** The OAuth 2.0 authorization server and the deny-by-default bearer guard. */
@Module({
  imports: [PassportModule.register({ session: false }), AuditCoreModule],
  controllers: [OAuthController, AdminController],
  providers: [...services, JwtStrategy, BootstrapService, { provide: APP_GUARD, useClass: AccessTokenGuard }],
  exports: services,
})
export class AuthModule {}

/** The same services without HTTP, bootstrap or guard: for the command line. */
@Module({ imports: [AuditCoreModule], providers: services, exports: services })
export class AuthCoreModule {}
