import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { TokenStandingCache } from '../tokens/token-standing-cache.js';
import { UsernameTakenError } from '../auth.errors.js';
import { violatedUniqueConstraint } from '../unique-violation.js';
import { OperatorEntity } from './operator.entity.js';

/** The columns a new operator is created with; the rest take their defaults. */
export interface NewOperatorRow {
  readonly username: string;
  readonly passwordHash: string;
  readonly scopes: readonly string[];
  readonly tokensValidAfter: Date;
}

/** The columns an administrative change may set. */
export type OperatorPatch = Partial<
  Pick<
    OperatorEntity,
    'passwordHash' | 'scopes' | 'disabledAt' | 'tokensValidAfter' | 'failedLoginCount' | 'lockedUntil'
  >
>;

/** The `operators` table. */
@Injectable()
export class OperatorsRepository {
  constructor(
    private readonly dataSource: DataSource,
    /** Told of changes to what an access token's standing depends on. */
    private readonly standings: TokenStandingCache,
  ) {}

  private repo(manager: EntityManager = this.dataSource.manager) {
    return manager.getRepository(OperatorEntity);
  }

  /** Inserts the operator and returns it as stored (a taken username raises 23505). */
  /** Inserts the operator; UsernameTakenError when the (normalised) username exists. */
  async create(row: NewOperatorRow, manager?: EntityManager): Promise<OperatorEntity> {
    const repo = this.repo(manager);
    let result;
    try {
      result = await repo.insert({ ...row, scopes: [...row.scopes] });
    } catch (error) {
      if (violatedUniqueConstraint(error) !== undefined) throw new UsernameTakenError();
      throw error;
    }
    const { id } = result.identifiers[0] as { id: string };
    return repo.findOneByOrFail({ id });
  }

  /** Oldest first. */
  async list(): Promise<OperatorEntity[]> {
    return this.repo().find({ order: { createdAt: 'ASC' } });
  }

  async count(): Promise<number> {
    return this.repo().count();
  }

  async getById(id: string, manager?: EntityManager): Promise<OperatorEntity | null> {
    return this.repo(manager).findOneBy({ id });
  }

  /** `username` as stored: already normalised by the caller. */
  async getByUsername(username: string): Promise<OperatorEntity | null> {
    return this.repo().findOneBy({ username });
  }

  /**
   * Applies `patch` and moves the token generation on by one, atomically in the database
   * (two concurrent changes give two generations, never one). False if no such operator.
   */
  async updateVoidingTokens(id: string, patch: OperatorPatch, manager?: EntityManager): Promise<boolean> {
    this.standings.forget();
    const result = await this.repo(manager).update(
      { id },
      { ...patch, tokenGeneration: () => 'token_generation + 1' },
    );
    return (result.affected ?? 0) > 0;
  }

  /**
   * The ids of the enabled operators holding `admin`, their rows locked until the transaction
   * ends: two concurrent changes that each leave one admin cannot both pass the check.
   */
  async lockEnabledAdmins(manager: EntityManager): Promise<string[]> {
    const rows = await this.repo(manager).query<{ id: string }[]>(
      `SELECT id FROM operators WHERE disabled_at IS NULL AND 'admin' = ANY(scopes) ORDER BY id FOR UPDATE`,
    );
    return rows.map((row) => row.id);
  }

  async updatePasswordHash(id: string, passwordHash: string, manager?: EntityManager): Promise<void> {
    await this.repo(manager).update({ id }, { passwordHash });
  }

  async resetFailedLoginCount(id: string, manager?: EntityManager): Promise<void> {
    await this.repo(manager).update({ id }, { failedLoginCount: 0 });
  }

  /** One more consecutive failure, saturating at `max` instead of overflowing the column. */
  async incrementFailedLoginCount(id: string, max: number, manager?: EntityManager): Promise<void> {
    await this.repo(manager).query(
      `UPDATE operators SET failed_login_count = LEAST(failed_login_count, $2::integer - 1) + 1 WHERE id = $1`,
      [id, max],
    );
  }

  /** Pushes `locked_until` out to now + `seconds` unless it already ends later. */
  async extendLockedUntil(id: string, seconds: number, manager?: EntityManager): Promise<void> {
    await this.repo(manager).query(
      `UPDATE operators SET locked_until = GREATEST(locked_until, now() + make_interval(secs => $2::integer)) WHERE id = $1`,
      [id, seconds],
    );
  }
}
