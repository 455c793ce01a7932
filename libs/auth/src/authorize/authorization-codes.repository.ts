import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuthorizationCodeEntity } from './authorization-code.entity.js';

export type NewAuthorizationCodeRow = Omit<
  AuthorizationCodeEntity,
  | 'createdAt'
  | 'usedAt'
  | 'accessJti'
  | 'accessExpiresAt'
  | 'refreshFamilyId'
  | 'client'
  | 'operator'
  | 'session'
>;

/** Used codes are kept this long past their expiry, so a late second use is still recognised. */
const KEEP_USED_CODES = '1 day';

/** The `authorization_codes` table. */
@Injectable()
export class AuthorizationCodesRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(manager: EntityManager = this.dataSource.manager) {
    return manager.getRepository(AuthorizationCodeEntity);
  }

  /** Inserts the code and sweeps codes long past their expiry (the expiry index keeps it cheap). */
  async create(row: NewAuthorizationCodeRow, manager: EntityManager): Promise<void> {
    await this.repo(manager)
      .createQueryBuilder()
      .delete()
      .from(AuthorizationCodeEntity)
      .where(`expires_at < now() - interval '${KEEP_USED_CODES}'`)
      .execute();
    await this.repo(manager).insert(row);
  }

  /** The code's row, locked until the transaction ends: of two concurrent uses one waits and sees it used. */
  async getForUpdate(codeHash: string, manager: EntityManager): Promise<AuthorizationCodeEntity | null> {
    return this.repo(manager).findOne({ where: { codeHash }, lock: { mode: 'pessimistic_write' } });
  }

  /** The refresh families started by exchanging this session's codes. */
  async refreshFamiliesOfSession(sessionId: string, manager: EntityManager): Promise<string[]> {
    const rows = await this.repo(manager)
      .createQueryBuilder('c')
      .select('c.refresh_family_id', 'family')
      .where('c.session_id = :sessionId AND c.refresh_family_id IS NOT NULL', { sessionId })
      .getRawMany<{ family: string }>();
    return rows.map((r) => r.family);
  }

  async markUsed(codeHash: string, manager: EntityManager): Promise<void> {
    await this.repo(manager).update({ codeHash }, { usedAt: new Date() });
  }

  /** What the (first) use issued, so a second use can revoke it. */
  async recordIssued(
    codeHash: string,
    issued: Pick<AuthorizationCodeEntity, 'accessJti' | 'accessExpiresAt' | 'refreshFamilyId'>,
    manager: EntityManager,
  ): Promise<void> {
    await this.repo(manager).update({ codeHash }, issued);
  }
}
