import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { RefreshTokenEntity } from './refresh-token.entity.js';

/** A refresh token row as written; its id is the database's. */
export type NewRefreshTokenRow = Omit<RefreshTokenEntity, 'id' | 'client' | 'operator'>;

/** The `refresh_tokens` table: rotation families, found by the token's hash only. */
@Injectable()
export class RefreshTokensRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(manager: EntityManager = this.dataSource.manager) {
    return manager.getRepository(RefreshTokenEntity);
  }

  async create(row: NewRefreshTokenRow, manager?: EntityManager): Promise<void> {
    await this.repo(manager).insert(row);
  }

  async getByHash(tokenHash: string, manager?: EntityManager): Promise<RefreshTokenEntity | null> {
    return this.repo(manager).findOne({ where: { tokenHash } });
  }

  /** The token's row, locked until the caller's transaction ends: one use at a time. */
  async getByHashForUpdate(tokenHash: string, manager: EntityManager): Promise<RefreshTokenEntity | null> {
    return this.repo(manager).findOne({ where: { tokenHash }, lock: { mode: 'pessimistic_write' } });
  }

  async markUsed(id: string, usedAt: Date, manager?: EntityManager): Promise<void> {
    await this.repo(manager).update({ id }, { usedAt });
  }

  /** Revokes every token of the family not revoked yet (database clock). */
  async revokeFamily(familyId: string, manager?: EntityManager): Promise<void> {
    await this.repo(manager)
      .createQueryBuilder()
      .update(RefreshTokenEntity)
      .set({ revokedAt: () => 'now()' })
      .where('family_id = :familyId AND revoked_at IS NULL', { familyId })
      .execute();
  }

  /** Revokes every refresh token of the operator not revoked yet (database clock). */
  async revokeAllOfOperator(operatorId: string, manager?: EntityManager): Promise<void> {
    await this.repo(manager)
      .createQueryBuilder()
      .update(RefreshTokenEntity)
      .set({ revokedAt: () => 'now()' })
      .where('operator_id = :operatorId AND revoked_at IS NULL', { operatorId })
      .execute();
  }

  /** Revokes the operator's families whose sign-in used `method` (an `amr` value); how many families. */
  async revokeFamiliesAuthenticatedBy(
    operatorId: string,
    method: string,
    manager: EntityManager,
  ): Promise<number> {
    const result = await this.repo(manager)
      .createQueryBuilder()
      .update(RefreshTokenEntity)
      .set({ revokedAt: () => 'now()' })
      .where('operator_id = :operatorId AND revoked_at IS NULL AND :method = ANY(amr)', {
        operatorId,
        method,
      })
      .returning('family_id')
      .execute();
    const rows = result.raw as { family_id: string }[];
    return new Set(rows.map((r) => r.family_id)).size;
  }
}
