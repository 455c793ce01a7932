import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { SessionEntity } from './session.entity.js';

export type NewSessionRow = Omit<SessionEntity, 'id' | 'createdAt' | 'revokedAt' | 'operator'>;

/** The `auth_sessions` table, found by the hash of the cookie's secret only. */
@Injectable()
export class SessionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(manager: EntityManager = this.dataSource.manager) {
    return manager.getRepository(SessionEntity);
  }

  async create(row: NewSessionRow, manager: EntityManager): Promise<SessionEntity> {
    const result = await this.repo(manager).insert(row);
    const id = (result.identifiers[0] as { id: string }).id;
    return this.repo(manager).findOneByOrFail({ id });
  }

  /** The session if it is neither revoked nor past either expiry (database clock). */
  async findLive(secretHash: string, manager?: EntityManager): Promise<SessionEntity | null> {
    return this.repo(manager)
      .createQueryBuilder('s')
      .where('s.secret_hash = :secretHash', { secretHash })
      .andWhere('s.revoked_at IS NULL AND s.idle_expires_at > now() AND s.expires_at > now()')
      .getOne();
  }

  async findLiveById(id: string, manager?: EntityManager): Promise<SessionEntity | null> {
    return this.repo(manager)
      .createQueryBuilder('s')
      .where('s.id = :id', { id })
      .andWhere('s.revoked_at IS NULL AND s.idle_expires_at > now() AND s.expires_at > now()')
      .getOne();
  }

  async touch(id: string, lastSeenAt: Date, idleExpiresAt: Date, manager?: EntityManager): Promise<void> {
    await this.repo(manager).update({ id }, { lastSeenAt, idleExpiresAt });
  }

  /** True when the session was live and is now revoked. */
  async revoke(id: string, manager?: EntityManager): Promise<boolean> {
    const result = await this.repo(manager)
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ revokedAt: () => 'now()' })
      .where('id = :id AND revoked_at IS NULL', { id })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /** Ends every session of the operator; returns how many were live. */
  async revokeAllOfOperator(operatorId: string, manager: EntityManager): Promise<number> {
    const result = await this.repo(manager)
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ revokedAt: () => 'now()' })
      .where('operator_id = :operatorId AND revoked_at IS NULL', { operatorId })
      .execute();
    return result.affected ?? 0;
  }
}
