import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import { OperatorMfaEntity } from './operator-mfa.entity.js';
import { RecoveryCodeEntity } from './recovery-code.entity.js';

/** An operator's second factor as a check is about to use it, locked for the check. */
export interface MfaRowForCheck {
  readonly secretSealed: string;
  readonly confirmed: boolean;
  readonly lastUsedStep: number | null;
  readonly failedAttempts: number;
  /** A lock is in force right now (database clock). */
  readonly locked: boolean;
}

/** The `operator_mfa` and `mfa_recovery_codes` tables. */
@Injectable()
export class MfaRepository {
  constructor(private readonly dataSource: DataSource) {}

  private mfa(manager: EntityManager = this.dataSource.manager) {
    return manager.getRepository(OperatorMfaEntity);
  }

  private codes(manager: EntityManager = this.dataSource.manager) {
    return manager.getRepository(RecoveryCodeEntity);
  }

  async get(operatorId: string, manager?: EntityManager): Promise<OperatorMfaEntity | null> {
    return this.mfa(manager).findOneBy({ operatorId });
  }

  /** The row with the row locked until the caller's transaction ends, so checks of one operator run one by one. */
  async getForCheck(operatorId: string, manager: EntityManager): Promise<MfaRowForCheck | undefined> {
    const [row] = await manager.query<
      {
        secret_sealed: string;
        confirmed: boolean;
        last_used_step: string | null;
        failed_attempts: number;
        locked: boolean;
      }[]
    >(
      `SELECT secret_sealed, confirmed_at IS NOT NULL AS confirmed, last_used_step, failed_attempts,
              coalesce(locked_until > now(), false) AS locked
         FROM operator_mfa WHERE operator_id = $1 FOR UPDATE`,
      [operatorId],
    );
    if (!row) return undefined;
    return {
      secretSealed: row.secret_sealed,
      confirmed: row.confirmed,
      lastUsedStep: row.last_used_step === null ? null : Number(row.last_used_step),
      failedAttempts: row.failed_attempts,
      locked: row.locked,
    };
  }

  /** A new pending secret in place of any earlier one (and its recovery codes). */
  async replacePending(operatorId: string, secretSealed: string, manager: EntityManager): Promise<void> {
    await this.codes(manager).delete({ operatorId });
    await this.mfa(manager).delete({ operatorId });
    await this.mfa(manager).insert({
      operatorId,
      secretSealed,
      confirmedAt: null,
      lastUsedStep: null,
      failedAttempts: 0,
      lockedUntil: null,
    });
  }

  /** A code was accepted: remember its step (and confirm a pending secret); failures are forgiven. */
  async recordAccepted(
    operatorId: string,
    step: number | null,
    confirm: boolean,
    manager: EntityManager,
  ): Promise<void> {
    await this.mfa(manager).update(
      { operatorId },
      {
        ...(step === null ? {} : { lastUsedStep: String(step) }),
        ...(confirm ? { confirmedAt: new Date() } : {}),
        failedAttempts: 0,
        lockedUntil: null,
      },
    );
  }

  /** Stores the failure count and the lock it implies: none, or one ending `lockSeconds` from now. */
  async recordFailures(
    operatorId: string,
    failedAttempts: number,
    lockSeconds: number | null,
    manager: EntityManager,
  ): Promise<void> {
    await manager.query(
      `UPDATE operator_mfa SET failed_attempts = $2,
              locked_until = CASE WHEN $3::integer IS NULL THEN locked_until
                                  ELSE now() + make_interval(secs => $3::integer) END
        WHERE operator_id = $1`,
      [operatorId, failedAttempts, lockSeconds],
    );
  }

  /** Removes the second factor and its recovery codes; whether there was one. */
  async delete(operatorId: string, manager: EntityManager): Promise<boolean> {
    await this.codes(manager).delete({ operatorId });
    const result = await this.mfa(manager).delete({ operatorId });
    return (result.affected ?? 0) > 0;
  }

  async insertRecoveryCodes(
    operatorId: string,
    hashes: readonly string[],
    manager: EntityManager,
  ): Promise<void> {
    await this.codes(manager).delete({ operatorId });
    await this.codes(manager).insert(hashes.map((codeHash) => ({ operatorId, codeHash, usedAt: null })));
  }

  /** Spends an unused code; false when there is no such code or it was spent already. */
  async spendRecoveryCode(operatorId: string, codeHash: string, manager: EntityManager): Promise<boolean> {
    const result = await this.codes(manager).update(
      { operatorId, codeHash, usedAt: IsNull() },
      { usedAt: new Date() },
    );
    return (result.affected ?? 0) > 0;
  }

  async countUnusedRecoveryCodes(operatorId: string, manager?: EntityManager): Promise<number> {
    return this.codes(manager).count({ where: { operatorId, usedAt: IsNull() } });
  }

  /** Every sealed secret, for re-sealing after a master-key rotation. */
  async listSealedSecrets(): Promise<{ operatorId: string; secretSealed: string }[]> {
    return this.mfa().find({ select: { operatorId: true, secretSealed: true } });
  }

  /** Replaces a sealed secret only if it is still `expected` (another replica may have re-sealed it). */
  async resealSecret(
    operatorId: string,
    expected: string,
    secretSealed: string,
    manager?: EntityManager,
  ): Promise<void> {
    await this.mfa(manager).update({ operatorId, secretSealed: expected }, { secretSealed });
  }
}
