import { formatScopes, isScope, parseScopeParam, type Scope } from '@orderops/access';
import { grantScopes, invalidScope } from './grant-scopes.js';
import { AuthMetrics, TOKEN_GRANTS, type TokenGrant } from '../auth.metrics.js';
import { Injectable } from '@nestjs/common';
import { AuditService, type AuditActor, type AuditEventInput } from '@orderops/audit';
import { InjectConfig, type AppConfig } from '@orderops/core';
import { DataSource, type EntityManager } from 'typeorm';
import { OAuthError, TokenRejectedError } from '../auth.errors.js';
import type { OAuthClientEntity } from '../clients/oauth-client.entity.js';
import type { RefreshTokenEntity } from '../tokens/refresh-token.entity.js';
import { OperatorsService } from '../operators/operators.service.js';
import { AccessTokenVerifier } from '../tokens/access-token-verifier.js';
import { AccessTokensService, type IssuedAccessToken } from '../tokens/access-tokens.service.js';
import { familyStands, RefreshTokensService } from '../tokens/refresh-tokens.service.js';
import { AuthorizationCodesRepository } from '../authorize/authorization-codes.repository.js';
import type { AuthorizationCodeEntity } from '../authorize/authorization-code.entity.js';
import { s256 } from '../authorize/authorize.service.js';
import { hashSecret, SessionsService } from '../sessions/sessions.service.js';
import { RefreshTokensRepository } from '../tokens/refresh-tokens.repository.js';
import { MfaPolicy } from '../mfa/mfa-policy.js';
import { ClientAuthenticator } from './client-authenticator.js';
import type { OAuthParams } from './oauth-params.js';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  /** OpenID Connect, with `scope=openid` on the authorization code grant. */
  id_token?: string;
}

export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      scope: string;
      client_id: string;
      sub: string;
      token_type: 'Bearer' | 'refresh_token';
      exp: number;
      iat?: number;
      iss: string;
      aud?: string;
      jti?: string;
    };

const SUPPORTED_GRANTS: ReadonlySet<string> = new Set<TokenGrant>(TOKEN_GRANTS);

const invalidGrant = (description: string): OAuthError => new OAuthError('invalid_grant', description);

/** RFC 8176: the password grant authenticates with a password and nothing else. */
const PASSWORD_AMR: readonly string[] = ['pwd'];

const secondFactorRequired = (): OAuthError =>
  new OAuthError(
    'invalid_scope',
    'The requested scopes require a second factor, which this grant cannot provide; sign in through the authorization endpoint.',
  );

/**
 * `auth.token.issued`: grant, client, subject (the actor) and scopes; the token's jti, never the
 * token. Recorded in the transaction of what the grant wrote (a refresh family, a code's use),
 * or alone when it wrote nothing else (client_credentials).
 */
function issuedEvent(
  grant: TokenGrant,
  subject: AuditActor,
  clientId: string,
  access: IssuedAccessToken,
  refreshFamilyId?: string,
  withheldScopes: readonly Scope[] = [],
): AuditEventInput {
  return {
    action: 'auth.token.issued',
    actor: subject,
    target: { type: 'access_token', id: access.jti },
    details: {
      grant,
      clientId,
      scopes: access.scope.split(' ').filter((s) => s.length > 0),
      ...(refreshFamilyId ? { refreshFamilyId } : {}),
      ...(withheldScopes.length > 0 ? { withheldScopes: [...withheldScopes] } : {}),
    },
  };
}

/** The grants of POST /oauth/token, plus revocation and introspection. */
@Injectable()
export class OAuthService {
  constructor(
    private readonly clientAuth: ClientAuthenticator,
    private readonly operators: OperatorsService,
    private readonly accessTokens: AccessTokensService,
    private readonly refreshTokens: RefreshTokensService,
    private readonly verifier: AccessTokenVerifier,
    @InjectConfig() private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly metrics: AuthMetrics,
    private readonly mfaPolicy: MfaPolicy,
    private readonly codes: AuthorizationCodesRepository,
    private readonly sessions: SessionsService,
    private readonly refreshTokenRows: RefreshTokensRepository,
  ) {}

  /** The grant, counted: issued by grant type, refused by OAuth error code (never by who asked). */
  async token(params: OAuthParams, authorization: string | undefined): Promise<TokenResponse> {
    try {
      const [grant, response] = await this.grant(params, authorization);
      this.metrics.tokenIssued(grant);
      return response;
    } catch (error) {
      if (error instanceof OAuthError) this.metrics.tokenRefused(error.oauthCode);
      throw error;
    }
  }

  private async grant(
    params: OAuthParams,
    authorization: string | undefined,
  ): Promise<[TokenGrant, TokenResponse]> {
    const grantType = params.require('grant_type');
    // RFC 6749 §5.2: an unknown grant is the request's fault, answered before (and without)
    // client authentication, so it neither costs a secret check nor hints at clients.
    if (!SUPPORTED_GRANTS.has(grantType)) {
      throw new OAuthError('unsupported_grant_type', 'This grant type is not supported.');
    }
    const { client, withSecret } = await this.clientAuth.authenticate(params, authorization);
    switch (grantType) {
      case 'password':
        return [grantType, await this.passwordGrant(params, client)];
      case 'client_credentials':
        return [grantType, await this.clientCredentialsGrant(params, client, withSecret)];
      case 'refresh_token':
        return [grantType, await this.refreshTokenGrant(params, client)];
      case 'authorization_code':
        return [grantType, await this.authorizationCodeGrant(params, client)];
      default:
        throw new OAuthError('unsupported_grant_type', 'This grant type is not supported.');
    }
  }

  private async passwordGrant(params: OAuthParams, client: OAuthClientEntity): Promise<TokenResponse> {
    if (!this.config.auth.passwordGrantEnabled) {
      throw new OAuthError('unsupported_grant_type', 'The password grant is disabled on this server.');
    }
    if (!client.firstParty || !client.grantTypes.includes('password')) {
      throw new OAuthError('unauthorized_client', 'This client may not use the password grant.');
    }
    const username = params.require('username');
    const password = params.require('password');
    const login = await this.operators.authenticate(username, password);
    if (!login.ok) throw invalidGrant('Invalid username or password.');
    const { operator } = login;
    // A password alone never passes the second factor: the scopes that need it are dropped,
    // and the response's `scope` says what was granted (RFC 6749 §5.1). When nothing is left,
    // the request asked only for what this grant cannot give.
    const { granted: scopes, withheld } = this.mfaPolicy.decide(
      grantScopes(params.get('scope'), operator.scopes, client.scopes),
      PASSWORD_AMR,
    );
    if (scopes.length === 0) throw secondFactorRequired();
    const access = this.accessTokens.issue({ type: 'operator', id: operator.id }, client.clientId, scopes, {
      generation: operator.tokenGeneration,
      notBefore: Math.ceil(operator.tokensValidAfter.getTime() / 1000),
    });
    const response: TokenResponse = {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      scope: access.scope,
    };
    // The refresh token and the issuance event commit together, or the caller gets nothing.
    const refreshToken = await this.dataSource.transaction(async (manager) => {
      const family = client.grantTypes.includes('refresh_token')
        ? await this.refreshTokens.start(manager, operator, client.clientId, scopes, PASSWORD_AMR)
        : undefined;
      const subject: AuditActor = { type: 'operator', id: operator.id };
      await this.audit.record(
        manager,
        issuedEvent('password', subject, client.clientId, access, family?.familyId, withheld),
      );
      return family?.token;
    });
    if (refreshToken !== undefined) response.refresh_token = refreshToken;
    return response;
  }

  private async clientCredentialsGrant(
    params: OAuthParams,
    client: OAuthClientEntity,
    withSecret: boolean,
  ): Promise<TokenResponse> {
    if (!withSecret || client.type !== 'confidential' || !client.grantTypes.includes('client_credentials')) {
      throw new OAuthError('unauthorized_client', 'This client may not use the client_credentials grant.');
    }
    const scopes = grantScopes(params.get('scope'), client.scopes);
    const access = this.accessTokens.issue({ type: 'client', id: client.clientId }, client.clientId, scopes);
    // The grant writes nothing but its event: no transaction to wrap it in (see recordAlone).
    await this.audit.recordAlone(
      issuedEvent('client_credentials', { type: 'client', id: client.clientId }, client.clientId, access),
    );
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      scope: access.scope,
    };
  }

  private async refreshTokenGrant(params: OAuthParams, client: OAuthClientEntity): Promise<TokenResponse> {
    if (!client.grantTypes.includes('refresh_token')) {
      throw new OAuthError('unauthorized_client', 'This client may not use the refresh_token grant.');
    }
    const presented = params.require('refresh_token');
    const requested = params.get('scope');
    let standing = { generation: 0, notBefore: 0 };
    let withheld: readonly Scope[] = [];
    const issued: { access?: IssuedAccessToken } = {};
    const narrow = async (record: RefreshTokenEntity, manager: EntityManager): Promise<Scope[]> => {
      const operator = await this.operators.find(record.operatorId, manager);
      if (!operator || !familyStands(record, operator)) {
        throw invalidGrant('The refresh token is invalid, expired or revoked.');
      }
      standing = {
        generation: operator.tokenGeneration,
        notBefore: Math.ceil(operator.tokensValidAfter.getTime() / 1000),
      };
      // RFC 6749 §6: asking for more than the original grant is an error, not a narrowing.
      if (
        requested !== undefined &&
        parseScopeParam(requested).scopes.some((s) => !record.scopes.includes(s))
      ) {
        throw invalidScope();
      }
      // Never wider than the original grant, nor than what operator and client hold today,
      // nor than the family's sign-in allows under the second-factor rule in force now.
      const decision = this.mfaPolicy.decide(
        grantScopes(requested, record.scopes, operator.scopes, client.scopes),
        record.amr,
      );
      if (decision.granted.length === 0) throw secondFactorRequired();
      withheld = decision.withheld;
      return decision.granted;
    };
    const outcome = await this.refreshTokens.rotate(
      presented,
      client.clientId,
      narrow,
      async (record, manager) => {
        const subject = { type: 'operator' as const, id: record.operatorId };
        issued.access = this.accessTokens.issue(
          subject,
          client.clientId,
          record.scopes.filter(isScope),
          standing,
        );
        await this.audit.record(
          manager,
          issuedEvent('refresh_token', subject, client.clientId, issued.access, record.familyId, withheld),
        );
      },
    );
    const access = issued.access;
    if (!outcome.ok || !access) throw invalidGrant('The refresh token is invalid, expired or revoked.');
    const scopes = outcome.record.scopes.filter(isScope);
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      scope: formatScopes(scopes),
      refresh_token: outcome.token,
    };
  }

  /**
   * RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.6). The code's row is locked and marked used
   * before anything else is checked, so a code works once whatever the outcome; every check
   * failing is the same `invalid_grant`. A code presented again revokes what its first use
   * issued (RFC 6749 §10.5, RFC 9700 §4.5), audited as `auth.code.reused`. The tokens, the
   * record of what they are and the `auth.token.issued` event commit together.
   */
  private async authorizationCodeGrant(
    params: OAuthParams,
    client: OAuthClientEntity,
  ): Promise<TokenResponse> {
    if (!client.grantTypes.includes('authorization_code')) {
      throw new OAuthError('unauthorized_client', 'This client may not use the authorization_code grant.');
    }
    const code = params.require('code');
    const verifier = params.get('code_verifier');
    // RFC 7636 §4.1: 43-128 unreserved characters.
    if (verifier === undefined || !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) {
      throw new OAuthError('invalid_request', 'code_verifier is required (43-128 unreserved characters).');
    }
    const redirectUri = params.get('redirect_uri');
    const refused = invalidGrant('The authorization code is invalid, expired or already used.');
    const outcome = await this.dataSource.transaction(async (manager) => {
      const row = await this.codes.getForUpdate(hashSecret(code), manager);
      if (!row) return { ok: false as const };
      if (row.usedAt !== null) return { ok: false as const, reused: row };
      await this.codes.markUsed(row.codeHash, manager);
      const redirectMatches = row.redirectUriInRequest
        ? redirectUri === row.redirectUri
        : redirectUri === undefined || redirectUri === row.redirectUri;
      if (
        row.clientId !== client.clientId ||
        row.expiresAt.getTime() <= Date.now() ||
        !redirectMatches ||
        s256(verifier) !== row.codeChallenge
      ) {
        return { ok: false as const };
      }
      const session = await this.sessions.findLive(row.sessionId, manager);
      if (!session) return { ok: false as const };
      const operator = await this.operators.find(row.operatorId, manager);
      if (!operator || operator.disabledAt !== null) return { ok: false as const };
      // The second-factor rule, on what the session's sign-in proved (its amr): the scopes
      // that need it are dropped, and the response's `scope` says what was granted.
      const { granted, withheld } = this.mfaPolicy.decide(
        row.scopes.filter(
          (s): s is Scope => isScope(s) && operator.scopes.includes(s) && client.scopes.includes(s),
        ),
        session.amr,
      );
      if (granted.length === 0) return { ok: false as const, secondFactor: withheld.length > 0 };
      const access = this.accessTokens.issue(
        { type: 'operator', id: operator.id },
        client.clientId,
        granted,
        {
          generation: operator.tokenGeneration,
          notBefore: Math.ceil(operator.tokensValidAfter.getTime() / 1000),
        },
      );
      const family = client.grantTypes.includes('refresh_token')
        ? await this.refreshTokens.start(manager, operator, client.clientId, granted, session.amr)
        : undefined;
      await this.codes.recordIssued(
        row.codeHash,
        {
          accessJti: access.jti,
          accessExpiresAt: new Date(Date.now() + access.expiresIn * 1000),
          refreshFamilyId: family?.familyId ?? null,
        },
        manager,
      );
      const subject: AuditActor = { type: 'operator', id: operator.id };
      await this.audit.record(
        manager,
        issuedEvent('authorization_code', subject, client.clientId, access, family?.familyId, withheld),
      );
      const response: TokenResponse = {
        access_token: access.token,
        token_type: 'Bearer',
        expires_in: access.expiresIn,
        scope: row.openid ? `openid ${access.scope}` : access.scope,
        ...(family ? { refresh_token: family.token } : {}),
        ...(row.openid
          ? {
              id_token: this.accessTokens.issueIdToken({
                sub: operator.id,
                aud: client.clientId,
                auth_time: Math.floor(session.authTime.getTime() / 1000),
                amr: session.amr,
                sid: session.id,
                preferred_username: operator.username,
                ...(row.nonce ? { nonce: row.nonce } : {}),
              }),
            }
          : {}),
      };
      return { ok: true as const, response };
    });
    if (outcome.ok) return outcome.response;
    if (outcome.reused) await this.revokeIssuedFrom(outcome.reused, client.clientId);
    // Every scope the code names needs the second factor, which this sign-in did not pass.
    if (outcome.secondFactor) throw secondFactorRequired();
    throw refused;
  }

  /** What the first use of a code issued: its refresh family and its access token, revoked. */
  private async revokeIssuedFrom(row: AuthorizationCodeEntity, presentedBy: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      if (row.refreshFamilyId) await this.refreshTokenRows.revokeFamily(row.refreshFamilyId, manager);
      if (row.accessJti && row.accessExpiresAt && row.accessExpiresAt.getTime() > Date.now()) {
        await this.verifier.revoke(
          { jti: row.accessJti, exp: Math.ceil(row.accessExpiresAt.getTime() / 1000) },
          manager,
        );
      }
      await this.audit.record(manager, {
        action: 'auth.code.reused',
        actor: { type: 'client', id: presentedBy },
        outcome: 'failure',
        target: { type: 'operator', id: row.operatorId },
        details: {
          clientId: row.clientId,
          ...(row.accessJti ? { revokedJti: row.accessJti } : {}),
          ...(row.refreshFamilyId ? { refreshFamilyId: row.refreshFamilyId } : {}),
          ...this.network(),
        },
      });
    });
  }

  private network(): { network?: string } {
    const network = this.audit.requestNetwork();
    return network ? { network } : {};
  }

  /** RFC 7009: always succeeds for the caller; only the client's own tokens are affected. */
  async revoke(params: OAuthParams, authorization: string | undefined): Promise<void> {
    const { client } = await this.clientAuth.authenticate(params, authorization);
    const token = params.require('token');
    const hint = params.get('token_type_hint');
    if (hint !== undefined && hint !== 'access_token' && hint !== 'refresh_token') {
      throw new OAuthError('unsupported_token_type', 'Only access_token and refresh_token can be revoked.');
    }
    // Audited as `auth.token.revoked` with the family id or the jti, never the token.
    const actor: AuditActor = { type: 'client', id: client.clientId };
    const family = await this.dataSource.transaction(async (manager) => {
      const familyId = await this.refreshTokens.revoke(manager, token, client.clientId);
      if (familyId) {
        await this.audit.record(manager, {
          action: 'auth.token.revoked',
          actor,
          target: { type: 'refresh_token_family', id: familyId },
          details: { kind: 'refresh' },
        });
      }
      return familyId;
    });
    if (family) return;
    try {
      const { claims } = await this.verifier.verify(token);
      if (claims.client_id === client.clientId) {
        await this.dataSource.transaction(async (manager) => {
          await this.verifier.revoke(claims, manager);
          await this.audit.record(manager, {
            action: 'auth.token.revoked',
            actor,
            target: { type: 'access_token', id: claims.jti },
            details: { kind: 'access', subjectType: claims.sub_type, subjectId: claims.sub },
          });
        });
      }
    } catch (error) {
      if (!(error instanceof TokenRejectedError)) throw error;
    }
  }

  /**
   * RFC 7662, for authenticated confidential clients, about tokens issued to that client
   * only (§4): any other token is `{"active":false}`, whether it is valid or not, so a
   * client learns nothing of another's tokens.
   */
  async introspect(params: OAuthParams, authorization: string | undefined): Promise<IntrospectionResponse> {
    const { client, withSecret } = await this.clientAuth.authenticate(params, authorization);
    if (!withSecret) throw new OAuthError('invalid_client', 'Introspection requires client authentication.');
    const token = params.require('token');
    try {
      const { claims } = await this.verifier.verify(token);
      if (claims.client_id !== client.clientId) return { active: false };
      return {
        active: true,
        scope: claims.scope,
        client_id: claims.client_id,
        sub: claims.sub,
        token_type: 'Bearer',
        exp: claims.exp,
        iat: claims.iat,
        iss: claims.iss,
        aud: claims.aud,
        jti: claims.jti,
      };
    } catch (error) {
      if (!(error instanceof TokenRejectedError)) throw error;
    }
    const refresh = await this.refreshTokens.find(token);
    const now = new Date();
    if (
      refresh &&
      refresh.clientId === client.clientId &&
      !refresh.usedAt &&
      !refresh.revokedAt &&
      refresh.idleExpiresAt > now &&
      refresh.familyExpiresAt > now
    ) {
      const operator = await this.operators.find(refresh.operatorId);
      if (familyStands(refresh, operator)) {
        return {
          active: true,
          scope: formatScopes(refresh.scopes.filter(isScope)),
          client_id: refresh.clientId,
          sub: refresh.operatorId,
          token_type: 'refresh_token',
          exp: Math.floor(refresh.idleExpiresAt.getTime() / 1000),
          iss: this.config.auth.issuer,
        };
      }
    }
    return { active: false };
  }
}
