import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, MoreThan, type EntityManager } from 'typeorm';
import { SigningKeyEntity } from './signing-key.entity.js';

/** A key row as written; `created_at` is the database's. */
export type NewSigningKeyRow = Omit<SigningKeyEntity, 'createdAt'>;

/** The `signing_keys` table. */
@Injectable()
export class SigningKeysRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(manager: EntityManager = this.dataSource.manager) {
    return manager.getRepository(SigningKeyEntity);
  }

  async create(row: NewSigningKeyRow, manager?: EntityManager): Promise<void> {
    await this.repo(manager).insert(row);
  }

  /** Every stored key, newest first. */
  async list(): Promise<SigningKeyEntity[]> {
    return this.repo().find({ order: { createdAt: 'DESC' } });
  }

  /** The keys that still verify at `now` (never retired, or within their window), newest first. */
  async listVerifying(now: Date): Promise<SigningKeyEntity[]> {
    return this.repo().find({
      where: [{ verifyUntil: IsNull() }, { verifyUntil: MoreThan(now) }],
      order: { createdAt: 'DESC' },
    });
  }

  async getByKid(kid: string): Promise<SigningKeyEntity | null> {
    return this.repo().findOneBy({ kid });
  }

  async countActive(manager?: EntityManager): Promise<number> {
    return this.repo(manager).count({ where: { retiredAt: IsNull() } });
  }

  /** The keys not retired, locked until the caller's transaction ends. */
  async listActiveForUpdate(manager: EntityManager): Promise<SigningKeyEntity[]> {
    return this.repo(manager).find({ where: { retiredAt: IsNull() }, lock: { mode: 'pessimistic_write' } });
  }

  /** Every key, locked until the caller's transaction ends. */
  async listAllForUpdate(manager: EntityManager): Promise<SigningKeyEntity[]> {
    return this.repo(manager).find({ lock: { mode: 'pessimistic_write' } });
  }

  async retire(kid: string, retiredAt: Date, verifyUntil: Date, manager?: EntityManager): Promise<void> {
    await this.repo(manager).update({ kid }, { retiredAt, verifyUntil });
  }

  async updateSealedPrivateKey(
    kid: string,
    privateKeySealed: string,
    manager?: EntityManager,
  ): Promise<void> {
    await this.repo(manager).update({ kid }, { privateKeySealed });
  }

  /** Deletes the keys whose verification window has ended (database clock). */
  async deleteExpired(manager?: EntityManager): Promise<void> {
    await this.repo(manager)
      .createQueryBuilder()
      .delete()
      .from(SigningKeyEntity)
      .where('verify_until IS NOT NULL AND verify_until < now()')
      .execute();
  }
}
