import { Injectable } from '@nestjs/common';
import { ANONYMOUS_ACTOR, AuditService, type AuditActor } from '@orderops/audit';
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

type LoginFailure = 'unknown_user' | 'bad_password' | 'locked' | 'disabled';

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

const operatorTarget = (id: string) => ({ type: 'operator', id });

@Injectable()
export class OperatorsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
  ) {}

  private get repo() {
    return this.dataSource.getRepository(OperatorEntity);
  }

  /** Audited as `admin.operator.created` by `actor`; the username is not recorded, only the id. */
  async create(
    username: string,
    password: string,
    scopes: readonly Scope[],
    actor: AuditActor,
  ): Promise<OperatorEntity> {
    const name = normalizeUsername(username);
    const violation = passwordPolicyViolation(password, name);
    if (violation) throw new WeakPasswordError(`Password ${violation}.`);
    const passwordHash = await this.hasher.hash(password);
    try {
      return await this.dataSource.transaction(async (manager) => {
        const repo = manager.getRepository(OperatorEntity);
        const result = await repo.insert({
          username: name,
          passwordHash,
          scopes: [...scopes],
          tokensValidAfter: new Date(0),
        });
        const id = (result.identifiers[0] as { id: string }).id;
        await this.audit.record(manager, {
          action: 'admin.operator.created',
          actor,
          target: operatorTarget(id),
          details: { scopes: [...scopes] },
        });
        return repo.findOneByOrFail({ id });
      });
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
   * far (access and refresh), so the change takes effect at once. Audited as
   * `admin.operator.disabled` (when disabling) and `admin.operator.updated` (any other
   * change), naming the fields changed, never a value but the scopes.
   */
  async update(id: string, changes: OperatorChanges, actor: AuditActor): Promise<OperatorEntity> {
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
    if (Object.keys(patch).length === 0) return operator;
    patch.tokensValidAfter = nextSecond();
    return this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(OperatorEntity);
      const result = await repo.update({ id }, patch);
      if (!result.affected) throw new OperatorNotFoundError();
      const updated: string[] = [];
      if (changes.password !== undefined) updated.push('password');
      if (changes.scopes !== undefined) updated.push('scopes');
      if (changes.disabled === false) updated.push('enabled');
      if (updated.length > 0) {
        await this.audit.record(manager, {
          action: 'admin.operator.updated',
          actor,
          target: operatorTarget(id),
          details: {
            changed: updated,
            ...(changes.scopes !== undefined ? { scopes: [...changes.scopes] } : {}),
          },
        });
      }
      if (changes.disabled === true) {
        await this.audit.record(manager, {
          action: 'admin.operator.disabled',
          actor,
          target: operatorTarget(id),
        });
      }
      return repo.findOneByOrFail({ id });
    });
  }

  /**
   * Checks a username and password. Unknown usernames, disabled and locked accounts all cost
   * one argon2 verification and give the same answer as a wrong password, so the response
   * says nothing about which it was. Every failure is audited (`auth.login.failed`; an
   * unknown username only as a keyed fingerprint), and so is each lock it sets
   * (`auth.account.locked`).
   */
  async authenticate(username: string, password: string): Promise<LoginResult> {
    const normalized = normalizeUsername(username);
    const operator = await this.repo.findOneBy({ username: normalized });
    if (!operator) {
      await this.hasher.verifyDecoy(password);
      await this.audit.recordAlone({
        action: 'auth.login.failed',
        actor: ANONYMOUS_ACTOR,
        outcome: 'failure',
        details: this.failureDetails('unknown_user', { attemptedUser: this.audit.fingerprint(normalized) }),
      });
      return { ok: false };
    }
    const locked = operator.lockedUntil !== null && operator.lockedUntil > new Date();
    if (locked || operator.disabledAt !== null) {
      await this.hasher.verifyDecoy(password);
      await this.recordFailure(operator.id, locked ? 'locked' : 'disabled', locked);
      return { ok: false };
    }
    if (!(await this.hasher.verify(operator.passwordHash, password))) {
      await this.recordFailure(operator.id, 'bad_password', true);
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

  private failureDetails(reason: LoginFailure, extra: Record<string, string> = {}) {
    const network = this.audit.requestNetwork();
    return { reason, ...extra, ...(network ? { network } : {}) };
  }

  /**
   * The failure, its audit event and (when it sets a lock) the lock's event in one
   * transaction. The counter is atomic in the database, so replicas share one count and lock.
   */
  private async recordFailure(id: string, reason: LoginFailure, count: boolean): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      let lock: { failed_login_count: number; locked_seconds: number | null } | undefined;
      if (count) {
        const [rows] = await manager.query<[{ failed_login_count: number; locked_seconds: number | null }[]]>(
          `UPDATE operators
              SET failed_login_count = failed_login_count + 1,
                  locked_until = CASE
                    WHEN failed_login_count + 1 >= $2
                    THEN now() + make_interval(secs => LEAST($3::double precision,
                           $4::double precision * power(2, failed_login_count + 1 - $2)))
                    ELSE locked_until END
            WHERE id = $1
        RETURNING failed_login_count,
                  CASE WHEN failed_login_count >= $2
                       THEN ceil(extract(epoch FROM locked_until - now()))::int END AS locked_seconds`,
          [id, LOCK_AFTER_FAILURES, MAX_LOCK_SECONDS, FIRST_LOCK_SECONDS],
        );
        lock = rows[0];
      }
      await this.audit.record(manager, {
        action: 'auth.login.failed',
        actor: ANONYMOUS_ACTOR,
        outcome: 'failure',
        target: operatorTarget(id),
        details: this.failureDetails(reason),
      });
      if (lock && lock.locked_seconds !== null) {
        await this.audit.record(manager, {
          action: 'auth.account.locked',
          actor: { type: 'system', id: 'lockout' },
          target: operatorTarget(id),
          details: { failures: lock.failed_login_count, lockSeconds: lock.locked_seconds },
        });
      }
    });
  }

  private async rehash(manager: EntityManager, id: string, password: string): Promise<void> {
    await manager
      .getRepository(OperatorEntity)
      .update({ id }, { passwordHash: await this.hasher.hash(password) });
  }
}
