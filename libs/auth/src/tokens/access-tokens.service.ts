import { type PrincipalType, formatScopes, type Scope } from '@orderops/access';
import { Injectable } from '@nestjs/common';
import { InjectConfig, type AppConfig } from '@orderops/core';
import jwt from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';
import { SIGNING_ALGORITHM, SigningKeysService } from '../keys/signing-keys.service.js';

/** RFC 9068 §2.1: the media type of JWT access tokens, without the "application/" prefix. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

export interface AccessTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  client_id: string;
  scope: string;
  jti: string;
  iat: number;
  exp: number;
  /** Who `sub` names; lets the guard look the subject up without guessing. */
  sub_type: PrincipalType;
  /**
   * Operators only: the operator's token generation at issue. The verifier refuses the token
   * once the generation moved on (scopes, disable, password), however soon after issue.
   */
  gen?: number;
}

/** What an ID token says (no personal data beyond the username, OIDC `preferred_username`). */
export interface IdTokenClaims {
  readonly sub: string;
  readonly aud: string;
  readonly auth_time: number;
  readonly amr: readonly string[];
  readonly sid: string;
  readonly preferred_username: string;
  readonly nonce?: string;
}

/** What a verified ID token hint tells a logout: the client it was issued to, and whose session. */
export interface IdTokenHint {
  readonly aud: string;
  readonly sub: string;
  readonly sid: string;
}

export interface IssuedAccessToken {
  readonly token: string;
  readonly expiresIn: number;
  readonly jti: string;
  readonly scope: string;
}

export function accessTokenAudience(config: AppConfig): string {
  return `${config.auth.issuer}/api`;
}

/** Signs RFC 9068 access tokens with the current signing key. No personal data goes in. */
@Injectable()
export class AccessTokensService {
  constructor(
    private readonly keys: SigningKeysService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /**
   * @param operator for operator subjects: the generation the token belongs to, and the
   *   legacy cut-off in epoch seconds (`iat` never predates it, so a replica of the previous
   *   version, which checks only the cut-off, accepts the token during a rolling upgrade).
   */
  /**
   * An OpenID Connect ID token (Core §2) for the client: signed with the same key as access
   * tokens, but `typ: JWT` and `aud` the client, so the API's verifier (`at+jwt`, audience
   * `<issuer>/api`) never accepts one as an access token.
   */
  issueIdToken(claims: IdTokenClaims): string {
    const { kid, privateKey } = this.keys.currentSigner();
    const iat = Math.floor(Date.now() / 1000);
    return jwt.sign(
      { iss: this.config.auth.issuer, ...claims, iat, exp: iat + this.config.auth.accessTokenTtlSeconds },
      privateKey,
      { algorithm: SIGNING_ALGORITHM, keyid: kid, header: { alg: SIGNING_ALGORITHM, typ: 'JWT' } },
    );
  }

  /**
   * An ID token this server issued, offered back as a logout hint: signature (a key that
   * still verifies), issuer, `typ: JWT` and the claims only ID tokens carry are checked; expiry
   * is not, as OpenID Connect RP-Initiated Logout §2 lets an expired ID token name its client
   * and session. Undefined for anything else (an access token included).
   */
  async verifyIdTokenHint(token: string): Promise<IdTokenHint | undefined> {
    const decoded = jwt.decode(token, { complete: true });
    const kid = decoded?.header.kid;
    if (!decoded || decoded.header.alg !== SIGNING_ALGORITHM || decoded.header.typ !== 'JWT' || !kid) {
      return undefined;
    }
    const key = await this.keys.publicKeyFor(kid);
    if (!key) return undefined;
    try {
      const claims = jwt.verify(token, key, {
        algorithms: [SIGNING_ALGORITHM],
        issuer: this.config.auth.issuer,
        ignoreExpiration: true,
      }) as jwt.JwtPayload;
      const { aud, sub, sid } = claims;
      if (typeof aud !== 'string' || typeof sub !== 'string' || typeof sid !== 'string') return undefined;
      return { aud, sub, sid };
    } catch {
      return undefined;
    }
  }

  issue(
    subject: { type: PrincipalType; id: string },
    clientId: string,
    scopes: readonly Scope[],
    operator?: { generation: number; notBefore: number },
  ): IssuedAccessToken {
    const { kid, privateKey } = this.keys.currentSigner();
    const ttl = this.config.auth.accessTokenTtlSeconds;
    const iat = Math.max(Math.floor(Date.now() / 1000), operator?.notBefore ?? 0);
    const jti = randomUUID();
    const scope = formatScopes(scopes);
    const claims: AccessTokenClaims = {
      iss: this.config.auth.issuer,
      aud: accessTokenAudience(this.config),
      sub: subject.id,
      sub_type: subject.type,
      client_id: clientId,
      scope,
      jti,
      iat,
      exp: iat + ttl,
      ...(operator ? { gen: operator.generation } : {}),
    };
    const token = jwt.sign(claims, privateKey, {
      algorithm: SIGNING_ALGORITHM,
      keyid: kid,
      header: { alg: SIGNING_ALGORITHM, typ: ACCESS_TOKEN_TYP },
    });
    return { token, expiresIn: claims.exp - Math.floor(Date.now() / 1000), jti, scope };
  }
}
