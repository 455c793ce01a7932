import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { OperatorNotFoundError, UsernameTakenError, WeakPasswordError } from '../auth.errors.js';
import { PasswordHasher } from '../passwords/password-hasher.js';
import { passwordPolicyViolation } from '../passwords/password-policy.js';
import type { Scope } from '../scopes.js';
import { OperatorEntity } from './operator.entity.js';

/** Consecutive failures before the account locks; each further failure doubles the lock. */
export const LOCK_AFTER_FAILURES = 5;
const FIRST_LOCK_SECONDS = 30;
export const MAX_LOCK_SECONDS = 15 * 60;

export type LoginResult = { ok: true; operator: OperatorEntity } | { ok: false };

export interface OperatorChanges {
  readonly scopes?: readonly Scope[];
  readonly disabled?: boolean;
  readonly password?: string;
}

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown; driverError?: { code?: unknown } }).driverError?.code === '23505';
}

/** Lower-cased, trimmed: usernames are identifiers, compared without case. */
export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

/** Whole seconds, rounded up: a token whose iat is at or after this is newer than the change. */
function nextSecond(): Date {
  return new Date(Math.ceil(Date.now() / 1000) * 1000);
}

@Injectable()
export class OperatorsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
  ) {}

  private get repo() {
    return this.dataSource.getRepository(OperatorEntity);
  }

  async create(username: string, password: string, scopes: readonly Scope[]): Promise<OperatorEntity> {
    const name = normalizeUsername(username);
    const violation = passwordPolicyViolation(password, name);
    if (violation) throw new WeakPasswordError(`Password ${violation}.`);
    const passwordHash = await this.hasher.hash(password);
    try {
      const result = await this.repo.insert({
        username: name,
        passwordHash,
        scopes: [...scopes],
        tokensValidAfter: new Date(0),
      });
      return this.get((result.identifiers[0] as { id: string }).id);
    } catch (error) {
      if (isUniqueViolation(error)) throw new UsernameTakenError();
      throw error;
    }
  }

  async list(): Promise<OperatorEntity[]> {
    return this.repo.find({ order: { createdAt: 'ASC' } });
  }

  async count(): Promise<number> {
    return this.repo.count();
  }

  async get(id: string): Promise<OperatorEntity> {
    const operator = await this.repo.findOneBy({ id });
    if (!operator) throw new OperatorNotFoundError();
    return operator;
  }

  async find(id: string, manager: EntityManager = this.dataSource.manager): Promise<OperatorEntity | null> {
    return manager.getRepository(OperatorEntity).findOneBy({ id });
  }

  /**
   * Disabling, re-enabling, a new password or changed scopes all void the tokens issued so
   * far (access and refresh), so the change takes effect at once.
   */
  async update(id: string, changes: OperatorChanges): Promise<OperatorEntity> {
    const operator = await this.get(id);
    const patch: Partial<OperatorEntity> = {};
    if (changes.password !== undefined) {
      const violation = passwordPolicyViolation(changes.password, operator.username);
      if (violation) throw new WeakPasswordError(`Password ${violation}.`);
      patch.passwordHash = await this.hasher.hash(changes.password);
      patch.failedLoginCount = 0;
      patch.lockedUntil = null;
    }
    if (changes.scopes !== undefined) patch.scopes = [...changes.scopes];
    if (changes.disabled !== undefined) patch.disabledAt = changes.disabled ? new Date() : null;
    if (Object.keys(patch).length > 0) {
      patch.tokensValidAfter = nextSecond();
      await this.repo.update({ id }, patch);
    }
    return this.get(id);
  }

  /**
   * Checks a username and password. Unknown usernames, disabled and locked accounts all cost
   * one argon2 verification and give the same answer as a wrong password, so the response
   * says nothing about which it was.
   */
  async authenticate(username: string, password: string): Promise<LoginResult> {
    const operator = await this.repo.findOneBy({ username: normalizeUsername(username) });
    if (!operator) {
      await this.hasher.verifyDecoy(password);
      return { ok: false };
    }
    const locked = operator.lockedUntil !== null && operator.lockedUntil > new Date();
    if (locked || operator.disabledAt !== null) {
      await this.hasher.verifyDecoy(password);
      if (locked) await this.recordFailure(operator.id);
      return { ok: false };
    }
    if (!(await this.hasher.verify(operator.passwordHash, password))) {
      await this.recordFailure(operator.id);
      return { ok: false };
    }
    await this.dataSource.transaction(async (manager) => {
      await manager
        .getRepository(OperatorEntity)
        .update({ id: operator.id }, { failedLoginCount: 0, lockedUntil: null });
      if (this.hasher.needsRehash(operator.passwordHash)) {
        await this.rehash(manager, operator.id, password);
      }
    });
    return { ok: true, operator: await this.get(operator.id) };
  }

  /** Atomic in the database, so replicas share one counter and one lock. */
  private async recordFailure(id: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE operators
          SET failed_login_count = failed_login_count + 1,
              locked_until = CASE
                WHEN failed_login_count + 1 >= $2
                THEN now() + make_interval(secs => LEAST($3::double precision,
                       $4::double precision * power(2, failed_login_count + 1 - $2)))
                ELSE locked_until END
        WHERE id = $1`,
      [id, LOCK_AFTER_FAILURES, MAX_LOCK_SECONDS, FIRST_LOCK_SECONDS],
    );
  }

  private async rehash(manager: EntityManager, id: string, password: string): Promise<void> {
    await manager
      .getRepository(OperatorEntity)
      .update({ id }, { passwordHash: await this.hasher.hash(password) });
  }
}
