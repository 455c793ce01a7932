import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { LoginLockEntity } from './login-lock.entity.js';

/** One (operator, client) counter as a failure is about to be counted. */
export interface LoginLockState {
  readonly failedCount: number;
  /** A lock is in force right now (database clock). */
  readonly locked: boolean;
  /** The last failure is older than the memory the caller passed: the count starts again. */
  readonly stale: boolean;
}

/** The `login_locks` table: failed sign-ins and locks per (operator, client key). */
@Injectable()
export class LoginLocksRepository {
  constructor(private readonly dataSource: DataSource) {}

  private manager(manager?: EntityManager): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  /** Whether a lock on this operator for this client is in force (database clock). */
  async isLocked(operatorId: string, clientKey: string): Promise<boolean> {
    const [row] = await this.manager().query<{ locked: boolean }[]>(
      `SELECT locked_until > now() AS locked FROM login_locks WHERE operator_id = $1 AND client_key = $2`,
      [operatorId, clientKey],
    );
    return row?.locked === true;
  }

  /**
   * The counter of (operator, client), created at zero if absent, with the row locked until
   * the caller's transaction ends: concurrent failures from one client on any replica count
   * one by one. Only inside a transaction.
   */
  async getForUpdate(
    operatorId: string,
    clientKey: string,
    memorySeconds: number,
    manager: EntityManager,
  ): Promise<LoginLockState> {
    await manager.query(
      `INSERT INTO login_locks (operator_id, client_key) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      [operatorId, clientKey],
    );
    const [row] = await manager.query<{ failed_count: number; locked: boolean; stale: boolean }[]>(
      `SELECT failed_count, locked_until > now() AS locked,
              updated_at < now() - make_interval(secs => $3::integer) AS stale
         FROM login_locks WHERE operator_id = $1 AND client_key = $2 FOR UPDATE`,
      [operatorId, clientKey, memorySeconds],
    );
    return { failedCount: row.failed_count, locked: row.locked === true, stale: row.stale === true };
  }

  /** Stores the count and the lock it implies: none, or one ending `lockSeconds` from now. */
  async setFailures(
    operatorId: string,
    clientKey: string,
    failedCount: number,
    lockSeconds: number | null,
    manager?: EntityManager,
  ): Promise<void> {
    await this.manager(manager).query(
      `UPDATE login_locks
          SET failed_count = $3, updated_at = now(),
              locked_until = CASE WHEN $4::integer IS NULL THEN NULL ELSE now() + make_interval(secs => $4::integer) END
        WHERE operator_id = $1 AND client_key = $2`,
      [operatorId, clientKey, failedCount, lockSeconds],
    );
  }

  /** Forgets the counter of one client (a successful sign-in from it). */
  async delete(operatorId: string, clientKey: string, manager?: EntityManager): Promise<void> {
    await this.manager(manager).getRepository(LoginLockEntity).delete({ operatorId, clientKey });
  }

  /** Forgets every client's counter and lock of the operator. */
  async deleteAllOf(operatorId: string, manager?: EntityManager): Promise<void> {
    await this.manager(manager).getRepository(LoginLockEntity).delete({ operatorId });
  }
}
