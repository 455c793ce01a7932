import { Injectable } from '@nestjs/common';
import { Database, InjectConfig, type AppConfig } from '@orderops/core';
import jwt, { type JwtHeader, type VerifyOptions } from 'jsonwebtoken';
import type { KeyObject } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { ClientsService } from '../clients/clients.service.js';
import { SIGNING_ALGORITHM, SigningKeysService } from '../keys/signing-keys.service.js';
import { OperatorsService } from '../operators/operators.service.js';
import type { Principal } from '../principal.js';
import { isScope, type Scope } from '../scopes.js';
import { RevokedAccessTokenEntity } from './revoked-access-token.entity.js';
import { ACCESS_TOKEN_TYP, accessTokenAudience, type AccessTokenClaims } from './access-tokens.service.js';

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

export class TokenRejectedError extends Error {
  override readonly name = 'TokenRejectedError';
}

export function jwtVerifyOptions(config: AppConfig): VerifyOptions & { complete?: false } {
  return {
    algorithms: [SIGNING_ALGORITHM],
    issuer: config.auth.issuer,
    audience: accessTokenAudience(config),
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
  };
}

/**
 * The checks an access token must pass beyond its signature. Shared by the bearer guard
 * (through passport-jwt) and by introspection, so both accept exactly the same tokens.
 */
@Injectable()
export class AccessTokenVerifier {
  constructor(
    private readonly keys: SigningKeysService,
    private readonly operators: OperatorsService,
    private readonly clients: ClientsService,
    private readonly dataSource: DataSource,
    private readonly database: Database,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Selects the verification key from a token header, refusing anything unusual. */
  async keyForHeader(header: JwtHeader & Record<string, unknown>): Promise<KeyObject> {
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
  async principalFor(payload: unknown): Promise<Principal> {
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
    // One round trip for the three per-request checks: revoked, client still there, subject's standing.
    const [standing] = await this.database.read<{
      revoked: boolean;
      client: boolean;
      disabled: boolean | null;
      valid_after: Date | null;
      generation: number | null;
    }>(
      `SELECT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = $1) AS revoked,
              EXISTS (SELECT 1 FROM oauth_clients WHERE client_id = $2) AS client,
              o.disabled_at IS NOT NULL AS disabled, o.tokens_valid_after AS valid_after,
              o.token_generation AS generation
         FROM (SELECT 1) AS one
         LEFT JOIN operators o ON $3::boolean AND o.id = $4::uuid`,
      [jti, clientId, isOperator, isOperator ? sub : '00000000-0000-0000-0000-000000000000'],
    );
    if (standing.revoked) throw new TokenRejectedError('revoked');
    if (!standing.client) throw new TokenRejectedError('client gone');
    if (isOperator) {
      if (standing.disabled === null || standing.disabled) throw new TokenRejectedError('subject');
      if (!isCurrent(gen, iat, standing.generation!, standing.valid_after!))
        throw new TokenRejectedError('stale');
    } else if (sub !== clientId) {
      throw new TokenRejectedError('subject');
    }
    const scopes = scope.split(' ').filter((s): s is Scope => isScope(s));
    return { type: subType, id: sub, clientId, scopes, tokenId: jti };
  }

  /** Full verification of a raw token (introspection, revocation). */
  async verify(token: string): Promise<{ principal: Principal; claims: AccessTokenClaims }> {
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.payload === 'string') throw new TokenRejectedError('malformed');
    const key = await this.keyForHeader(decoded.header as JwtHeader & Record<string, unknown>);
    let claims: AccessTokenClaims;
    try {
      claims = jwt.verify(token, key, jwtVerifyOptions(this.config)) as unknown as AccessTokenClaims;
    } catch {
      throw new TokenRejectedError('signature or claims');
    }
    return { principal: await this.principalFor(claims), claims };
  }

  /** Records an access token as revoked until it would have expired anyway. */
  async revoke(claims: Pick<AccessTokenClaims, 'jti' | 'exp'>, manager: EntityManager): Promise<void> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(RevokedAccessTokenEntity)
      .values({ jti: claims.jti, expiresAt: new Date(claims.exp * 1000) })
      .orIgnore()
      .execute();
  }
}
