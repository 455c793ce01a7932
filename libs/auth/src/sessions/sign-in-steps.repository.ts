import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { SignInStepEntity } from './sign-in-step.entity.js';

export type NewSignInStepRow = Pick<
  SignInStepEntity,
  'preSessionHash' | 'operatorId' | 'clientId' | 'stage' | 'expiresAt'
>;

/** The `auth_sign_in_steps` table, found by the hash of the pre-session cookie only. */
@Injectable()
export class SignInStepsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private repo(manager: EntityManager = this.dataSource.manager) {
    return manager.getRepository(SignInStepEntity);
  }

  /**
   * The browser's one pending step: an earlier one of the same pre-session is replaced (a
   * second password replaces the first), and expired steps of anyone are swept on the way.
   */
  async replace(row: NewSignInStepRow): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await this.repo(manager)
        .createQueryBuilder()
        .delete()
        .from(SignInStepEntity)
        .where('pre_session_hash = :hash OR expires_at < now()', { hash: row.preSessionHash })
        .execute();
      await this.repo(manager).insert(row);
    });
  }

  /** The step if it is unspent and unexpired (database clock). */
  async findLive(preSessionHash: string): Promise<SignInStepEntity | null> {
    return this.repo()
      .createQueryBuilder('s')
      .where('s.pre_session_hash = :preSessionHash', { preSessionHash })
      .andWhere('s.used_at IS NULL AND s.expires_at > now()')
      .getOne();
  }

  /** Spends the step; true only for the one caller that found it live. */
  async spend(id: string): Promise<boolean> {
    const result = await this.repo()
      .createQueryBuilder()
      .update(SignInStepEntity)
      .set({ usedAt: () => 'now()' })
      .where('id = :id AND used_at IS NULL AND expires_at > now()', { id })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /** Drops the operator's pending steps (in the caller's transaction): disabled, or a new password. */
  async deleteAllOfOperator(operatorId: string, manager: EntityManager): Promise<void> {
    await this.repo(manager).delete({ operatorId });
  }
}
