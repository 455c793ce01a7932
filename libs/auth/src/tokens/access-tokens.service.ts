import { Injectable } from '@nestjs/common';
import { InjectConfig, type AppConfig } from '@orderops/core';
import jwt from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';
import { SIGNING_ALGORITHM, SigningKeysService } from '../keys/signing-keys.service.js';
import type { PrincipalType } from '../principal.js';
import { formatScopes, type Scope } from '../scopes.js';

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
   * @param notBefore epoch seconds the token must not predate (the subject's token cut-off),
   *   so a token issued in the same second as a password change still counts as newer.
   */
  issue(
    subject: { type: PrincipalType; id: string },
    clientId: string,
    scopes: readonly Scope[],
    notBefore = 0,
  ): IssuedAccessToken {
    const { kid, privateKey } = this.keys.currentSigner();
    const ttl = this.config.auth.accessTokenTtlSeconds;
    const iat = Math.max(Math.floor(Date.now() / 1000), notBefore);
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
    };
    const token = jwt.sign(claims, privateKey, {
      algorithm: SIGNING_ALGORITHM,
      keyid: kid,
      header: { alg: SIGNING_ALGORITHM, typ: ACCESS_TOKEN_TYP },
    });
    return { token, expiresIn: claims.exp - Math.floor(Date.now() / 1000), jti, scope };
  }
}
