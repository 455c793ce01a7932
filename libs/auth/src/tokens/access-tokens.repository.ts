import { Injectable } from '@nestjs/common';
import { Database } from '@orderops/core';
import { DataSource, type EntityManager } from 'typeorm';
import { RevokedAccessTokenEntity } from './revoked-access-token.entity.js';
import { type AccessTokenStanding, TokenStandingCache } from './token-standing-cache.js';

/** Whom a standing check asks about: the token's id, client and (for operators) subject. */
export interface AccessTokenStandingQuery {
  readonly jti: string;
  readonly clientId: string;
  /** Set for operator tokens only. */
  readonly operatorId?: string;
}

interface StandingRow {
  revoked: boolean;
  client: boolean;
  disabled: boolean | null;
  valid_after: Date | null;
  generation: number | null;
}

/** Bound when no operator is asked about: the join is off then, but `$4` must still be a uuid. */
const NO_OPERATOR = '00000000-0000-0000-0000-000000000000';

/**
 * Runs on every authenticated request: one round trip, a constant text (a prepared statement
 * on PostgreSQL, see `Database.read`), for revocation, the client and the operator's standing.
 */
const STANDING_SQL = `SELECT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = $1) AS revoked,
              EXISTS (SELECT 1 FROM oauth_clients WHERE client_id = $2) AS client,
              o.disabled_at IS NOT NULL AS disabled, o.tokens_valid_after AS valid_after,
              o.token_generation AS generation
         FROM (SELECT 1) AS one
         LEFT JOIN operators o ON $3::boolean AND o.id = $4::uuid`;

/**
 * Access tokens are not stored; this owns `revoked_access_tokens` and the per-request read of
 * everything a token's standing depends on (that table, `oauth_clients`, `operators`),
 * answered from TokenStandingCache while the database's notifications keep it current.
 */
@Injectable()
export class AccessTokensRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly database: Database,
    private readonly standings: TokenStandingCache,
  ) {}

  /** Outside any transaction only (a pool read). */
  async getStanding(query: AccessTokenStandingQuery): Promise<AccessTokenStanding> {
    // jti and operator id are uuids (checked by the verifier), so the client id, last, may
    // hold any character without two queries sharing a key.
    const key = `${query.jti} ${query.operatorId ?? '-'} ${query.clientId}`;
    const kept = this.standings.get(key);
    if (kept !== undefined) return kept;
    const epoch = this.standings.epoch;
    const standing = await this.readStanding(query);
    this.standings.remember(key, standing, epoch);
    return standing;
  }

  private async readStanding(query: AccessTokenStandingQuery): Promise<AccessTokenStanding> {
    const isOperator = query.operatorId !== undefined;
    const [row] = await this.database.read<StandingRow>(STANDING_SQL, [
      query.jti,
      query.clientId,
      isOperator,
      query.operatorId ?? NO_OPERATOR,
    ]);
    // Every column of a missing operator reads NULL, but `disabled` is computed (IS NOT NULL).
    const found = row.generation !== null;
    return {
      revoked: row.revoked,
      clientExists: row.client,
      ...(found
        ? {
            operator: {
              disabled: row.disabled === true,
              tokensValidAfter: row.valid_after!,
              tokenGeneration: row.generation!,
            },
          }
        : {}),
    };
  }

  /** Records `jti` as revoked until `expiresAt`; revoking twice changes nothing. */
  async createRevocation(jti: string, expiresAt: Date, manager?: EntityManager): Promise<void> {
    this.standings.forget();
    await (manager ?? this.dataSource.manager)
      .createQueryBuilder()
      .insert()
      .into(RevokedAccessTokenEntity)
      .values({ jti, expiresAt })
      .orIgnore()
      .execute();
  }
}
