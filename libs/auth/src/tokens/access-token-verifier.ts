import { type Principal, isScope, type Scope } from '@orderops/access';
import { Injectable } from '@nestjs/common';
import { InjectConfig, type AppConfig } from '@orderops/core';
import jwt, { type JwtHeader, type VerifyOptions } from 'jsonwebtoken';
import type { KeyObject } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { SIGNING_ALGORITHM, SigningKeysService } from '../keys/signing-keys.service.js';
import { TokenRejectedError } from '../auth.errors.js';
import { AccessTokensRepository } from './access-tokens.repository.js';
import { ACCESS_TOKEN_TYP, accessTokenAudience, type AccessTokenClaims } from './access-tokens.service.js';
import { VerifiedTokenCache, type VerifiedToken } from './verified-token-cache.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** At most this much clock difference between issuer and verifier is forgiven. */
export const CLOCK_TOLERANCE_SECONDS = 30;

/** Header members that would point a verifier at keys chosen by the token's author. */
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'crit'] as const;

/**
 * Whether an operator's token still stands: its generation is the operator's current one.
 * A token without a generation (issued before generations existed, or by a previous
 * version's replica during an upgrade) stands only while no change was made since
 * generations began, and then under the old whole-second cut-off.
 */
export function isCurrent(
  tokenGeneration: number | undefined,
  iat: number,
  currentGeneration: number,
  validAfter: Date,
): boolean {
  if (tokenGeneration !== undefined) return tokenGeneration === currentGeneration;
  return currentGeneration === 0 && iat * 1000 >= new Date(validAfter).getTime();
}

type TokenHeader = JwtHeader & Record<string, unknown>;

function verifyOptions(config: AppConfig): VerifyOptions & { complete?: false } {
  return {
    algorithms: [SIGNING_ALGORITHM],
    issuer: config.auth.issuer,
    audience: accessTokenAudience(config),
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
  };
}

/**
 * The one way an access token is checked: by the bearer guard, introspection and revocation
 * alike, so all three accept exactly the same tokens. A token string whose signature and
 * claims passed once skips the signature check until its `exp` (while its key still
 * verifies); key selection, revocation and the subject's standing are checked every time.
 * Anything but a verdict on the token itself (a database error) is thrown as it is.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly verifiedSignatures = new VerifiedTokenCache();
  private readonly options: VerifyOptions & { complete?: false };

  constructor(
    private readonly keys: SigningKeysService,
    private readonly accessTokens: AccessTokensRepository,
    @InjectConfig() config: AppConfig,
  ) {
    this.options = verifyOptions(config);
  }

  async verify(token: string): Promise<{ principal: Principal; claims: AccessTokenClaims }> {
    const verified = await this.verifiedSignature(token);
    const principal = await this.principalFor(verified.payload);
    return { principal, claims: verified.payload as unknown as AccessTokenClaims };
  }

  /** Records an access token as revoked until it would have expired anyway. */
  async revoke(claims: Pick<AccessTokenClaims, 'jti' | 'exp'>, manager: EntityManager): Promise<void> {
    await this.accessTokens.createRevocation(claims.jti, new Date(claims.exp * 1000), manager);
  }

  /** Header, key, signature, issuer, audience and lifetime, or what a previous pass of them remembered. */
  private async verifiedSignature(token: string): Promise<VerifiedToken> {
    const remembered = this.verifiedSignatures.get(token);
    if (remembered !== undefined) {
      // The same header selects the key again: a key that stopped verifying (retired past
      // its window) fails here as it would in a full check.
      await this.keyForHeader(remembered.header);
      return remembered;
    }
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.payload === 'string') throw new TokenRejectedError('malformed');
    const key = await this.keyForHeader(decoded.header as TokenHeader);
    let payload: Record<string, unknown>;
    try {
      payload = jwt.verify(token, key, this.options) as Record<string, unknown>;
    } catch {
      throw new TokenRejectedError('signature or claims');
    }
    const verified: VerifiedToken = { header: decoded.header as TokenHeader, payload };
    this.verifiedSignatures.remember(token, verified);
    return verified;
  }

  /** Selects the verification key from a token header, refusing anything unusual. */
  private async keyForHeader(header: Readonly<TokenHeader>): Promise<KeyObject> {
    const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : '';
    if (typ !== ACCESS_TOKEN_TYP && typ !== `application/${ACCESS_TOKEN_TYP}`)
      throw new TokenRejectedError('typ');
    if (header.alg !== SIGNING_ALGORITHM) throw new TokenRejectedError('alg');
    if (FORBIDDEN_HEADERS.some((name) => name in header)) throw new TokenRejectedError('header');
    if (typeof header.kid !== 'string' || header.kid.length === 0 || header.kid.length > 64) {
      throw new TokenRejectedError('kid');
    }
    const key = await this.keys.publicKeyFor(header.kid);
    if (!key) throw new TokenRejectedError('unknown kid');
    return key;
  }

  /** Claims shape, revocation and the subject's current standing. */
  private async principalFor(payload: Readonly<Record<string, unknown>>): Promise<Principal> {
    const claims = payload as Partial<AccessTokenClaims>;
    const { sub, sub_type: subType, client_id: clientId, scope, jti, iat, gen } = claims;
    if (typeof sub !== 'string' || typeof clientId !== 'string' || typeof scope !== 'string') {
      throw new TokenRejectedError('claims');
    }
    if (
      typeof jti !== 'string' ||
      typeof iat !== 'number' ||
      (subType !== 'operator' && subType !== 'client')
    ) {
      throw new TokenRejectedError('claims');
    }
    if (!UUID.test(jti)) throw new TokenRejectedError('jti');
    if (gen !== undefined && !Number.isSafeInteger(gen)) throw new TokenRejectedError('claims');
    const isOperator = subType === 'operator';
    if (isOperator && !UUID.test(sub)) throw new TokenRejectedError('subject');
    const standing = await this.accessTokens.getStanding({
      jti,
      clientId,
      ...(isOperator ? { operatorId: sub } : {}),
    });
    if (standing.revoked) throw new TokenRejectedError('revoked');
    if (!standing.clientExists) throw new TokenRejectedError('client gone');
    if (isOperator) {
      const { operator } = standing;
      if (operator === undefined || operator.disabled) throw new TokenRejectedError('subject');
      if (!isCurrent(gen, iat, operator.tokenGeneration, operator.tokensValidAfter))
        throw new TokenRejectedError('stale');
    } else if (sub !== clientId) {
      throw new TokenRejectedError('subject');
    }
    const scopes = scope.split(' ').filter((s): s is Scope => isScope(s));
    return { type: subType, id: sub, clientId, scopes, tokenId: jti };
  }
}
