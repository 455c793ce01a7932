import { type Scope } from '@orderops/access';
import { AuthMetrics, type LoginFailure } from '../auth.metrics.js';
import { Inject, Injectable } from '@nestjs/common';
import { ANONYMOUS_ACTOR, AuditService, type AuditActor } from '@orderops/audit';
import { currentRequestContext, InjectConfig, ROOT_LOGGER, type AppConfig } from '@orderops/core';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import {
  LastAdminError,
  OperatorNotFoundError,
  WeakPasswordError,
  WrongCurrentPasswordError,
} from '../auth.errors.js';
import { PasswordHasher } from '../passwords/password-hasher.js';
import { SessionsRepository } from '../sessions/sessions.repository.js';
import { SignInStepsRepository } from '../sessions/sign-in-steps.repository.js';
import { RefreshTokensRepository } from '../tokens/refresh-tokens.repository.js';
import { passwordPolicyViolation } from '../passwords/password-policy.js';
import { clientKeyOf } from './client-key.js';
import { LoginLocksRepository } from './login-locks.repository.js';
import type { OperatorEntity } from './operator.entity.js';
import { OperatorsRepository, type OperatorPatch } from './operators.repository.js';

/**
 * Consecutive failures from one client address before sign-in from that address locks; each
 * further failure (made after the lock ended) doubles the lock, up to MAX_LOCK_SECONDS.
 */
export const LOCK_AFTER_FAILURES = 5;
export const FIRST_LOCK_SECONDS = 30;
export const MAX_LOCK_SECONDS = 15 * 60;
/** The doubling stops here: FIRST_LOCK_SECONDS * 2^5 already passes MAX_LOCK_SECONDS. */
const MAX_LOCK_EXPONENT = Math.ceil(Math.log2(MAX_LOCK_SECONDS / FIRST_LOCK_SECONDS));
/** Counters saturate here instead of ever overflowing an integer column. */
const MAX_FAILURE_COUNT = 1_000_000;
/** A client's failures older than this are forgotten (the count starts again). */
const FAILURE_MEMORY_SECONDS = 24 * 60 * 60;

/**
 * The bounded account-wide brake: once this many consecutive failures came from anywhere,
 * every sign-in of the account waits ACCOUNT_SLOWDOWN_MS first. It never refuses, so an
 * attacker can slow the owner down by at most that much, never lock them out.
 */
export const ACCOUNT_SLOWDOWN_AFTER_FAILURES = 20;
export const ACCOUNT_SLOWDOWN_MS = 1_000;

/** Seconds a lock lasts once a client has `failures` consecutive failures (none below the threshold). */
export function lockSecondsFor(failures: number): number | null {
  if (failures < LOCK_AFTER_FAILURES) return null;
  const exponent = Math.min(failures - LOCK_AFTER_FAILURES, MAX_LOCK_EXPONENT);
  return Math.min(MAX_LOCK_SECONDS, FIRST_LOCK_SECONDS * 2 ** exponent);
}

export type LoginResult = { ok: true; operator: OperatorEntity } | { ok: false };

export interface OperatorChanges {
  readonly scopes?: readonly Scope[];
  readonly disabled?: boolean;
  readonly password?: string;
}

/** Lower-cased, trimmed: usernames are identifiers, compared without case. */
export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

/**
 * Whole seconds, rounded up: the cut-off for tokens without a generation claim (issued
 * before generations existed, or by a previous version's replica during an upgrade).
 */
function nextSecond(): Date {
  return new Date(Math.ceil(Date.now() / 1000) * 1000);
}

const operatorTarget = (id: string) => ({ type: 'operator', id });

/** A change after which the operator, if it was an enabled admin, no longer is one. */
function removesAdmin(changes: OperatorChanges): boolean {
  return changes.disabled === true || (changes.scopes !== undefined && !changes.scopes.includes('admin'));
}

@Injectable()
export class OperatorsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly operators: OperatorsRepository,
    private readonly loginLocks: LoginLocksRepository,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
    @InjectConfig() private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) rootLogger: Logger,
    private readonly metrics: AuthMetrics,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly sessions: SessionsRepository,
    private readonly signInSteps: SignInStepsRepository,
  ) {
    this.logger = rootLogger.child({ context: 'Operators' });
  }

  private readonly logger: Logger;

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
    // A taken username is the repository's UsernameTakenError.
    return this.dataSource.transaction(async (manager) => {
      const operator = await this.operators.create(
        { username: name, passwordHash, scopes, tokensValidAfter: new Date(0) },
        manager,
      );
      await this.audit.record(manager, {
        action: 'admin.operator.created',
        actor,
        target: operatorTarget(operator.id),
        details: { scopes: [...scopes] },
      });
      return operator;
    });
  }

  async list(): Promise<OperatorEntity[]> {
    return this.operators.list();
  }

  async count(): Promise<number> {
    return this.operators.count();
  }

  async get(id: string): Promise<OperatorEntity> {
    const operator = await this.operators.getById(id);
    if (!operator) throw new OperatorNotFoundError();
    return operator;
  }

  async find(id: string, manager?: EntityManager): Promise<OperatorEntity | null> {
    return this.operators.getById(id, manager);
  }

  /**
   * Disabling, re-enabling, a new password or changed scopes all void the tokens issued so
   * far (access and refresh), so the change takes effect at once; disabling and a new
   * password also end the operator's browser sessions. Audited as
   * `admin.operator.disabled` (when disabling) and `admin.operator.updated` (any other
   * change), naming the fields changed, never a value but the scopes. The last enabled
   * operator holding `admin` can be neither disabled nor stripped of `admin` (409
   * `last-admin`), whoever asks: the API and the command line share this rule.
   */
  async update(id: string, changes: OperatorChanges, actor: AuditActor): Promise<OperatorEntity> {
    const operator = await this.get(id);
    const patch: OperatorPatch = {};
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
      if (removesAdmin(changes)) await this.keepAnotherAdmin(id, manager);
      if (!(await this.operators.updateVoidingTokens(id, patch, manager))) throw new OperatorNotFoundError();
      // A new password lifts every address's lock: the admin has vouched for the owner.
      if (changes.password !== undefined) await this.loginLocks.deleteAllOf(id, manager);
      // Browser sessions end with the account or the password they were proven with, and so
      // does a sign-in whose password passed but whose code is still to come.
      if (changes.password !== undefined || changes.disabled === true) {
        await this.sessions.revokeAllOfOperator(id, manager);
        await this.signInSteps.deleteAllOfOperator(id, manager);
      }
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
      const updatedOperator = await this.operators.getById(id, manager);
      if (!updatedOperator) throw new OperatorNotFoundError();
      return updatedOperator;
    });
  }

  /**
   * An operator's own password change. The current password is checked like a sign-in from
   * this address: a wrong one counts towards the address's lock (and is audited as
   * `auth.login.failed`), and while the address is locked even the right one is refused with
   * the same answer. The new password must pass the policy. On success every token of the
   * operator is voided (the token generation bump, as for an admin's change), its refresh
   * tokens are revoked and its browser sessions end; audited as `auth.password.changed` (no value).
   */
  async changeOwnPassword(
    id: string,
    currentPassword: string,
    newPassword: string,
    actor: AuditActor,
  ): Promise<void> {
    const operator = await this.get(id);
    const clientKey = this.requestClientKey();
    if (await this.loginLocks.isLocked(id, clientKey)) {
      await this.hasher.verifyDecoy(currentPassword);
      await this.recordFailure(id, clientKey, 'locked');
      throw new WrongCurrentPasswordError();
    }
    if (!(await this.hasher.verify(operator.passwordHash, currentPassword))) {
      await this.recordFailure(id, clientKey, 'bad_password');
      throw new WrongCurrentPasswordError();
    }
    const violation = passwordPolicyViolation(newPassword, operator.username);
    if (violation) throw new WeakPasswordError(`newPassword ${violation}.`, 'newPassword');
    const patch: OperatorPatch = {
      passwordHash: await this.hasher.hash(newPassword),
      failedLoginCount: 0,
      lockedUntil: null,
      tokensValidAfter: nextSecond(),
    };
    await this.dataSource.transaction(async (manager) => {
      if (!(await this.operators.updateVoidingTokens(id, patch, manager))) throw new OperatorNotFoundError();
      await this.refreshTokens.revokeAllOfOperator(id, manager);
      await this.sessions.revokeAllOfOperator(id, manager);
      await this.signInSteps.deleteAllOfOperator(id, manager);
      await this.loginLocks.deleteAllOf(id, manager);
      await this.audit.record(manager, {
        action: 'auth.password.changed',
        actor,
        target: operatorTarget(id),
      });
    });
  }

  /** Refuses the change when `id` is the only enabled admin (checked on locked rows). */
  private async keepAnotherAdmin(id: string, manager: EntityManager): Promise<void> {
    const admins = await this.operators.lockEnabledAdmins(manager);
    if (admins.includes(id) && admins.length === 1) throw new LastAdminError();
  }

  /**
   * Checks a username and password. Unknown usernames, disabled and locked accounts all cost
   * one argon2 verification and give the same answer as a wrong password, so the response
   * says nothing about which it was. Every failure is audited (`auth.login.failed`; an
   * unknown username only as a keyed fingerprint), and so is each lock it sets
   * (`auth.account.locked`). Locks hold per (account, client address): the owner signs in
   * from elsewhere while an attacker's address is locked, and an attempt during a lock
   * neither counts nor extends it.
   */
  async authenticate(username: string, password: string): Promise<LoginResult> {
    const normalized = normalizeUsername(username);
    const operator = await this.operators.getByUsername(normalized);
    if (!operator) {
      await this.hasher.verifyDecoy(password);
      this.metrics.loginFailed('unknown_user');
      await this.audit.recordAlone({
        action: 'auth.login.failed',
        actor: ANONYMOUS_ACTOR,
        outcome: 'failure',
        details: this.failureDetails('unknown_user', { attemptedUser: this.audit.fingerprint(normalized) }),
      });
      return { ok: false };
    }
    const clientKey = this.requestClientKey();
    if (operator.failedLoginCount >= ACCOUNT_SLOWDOWN_AFTER_FAILURES) await sleep(ACCOUNT_SLOWDOWN_MS);
    const locked = await this.loginLocks.isLocked(operator.id, clientKey);
    if (locked || operator.disabledAt !== null) {
      await this.hasher.verifyDecoy(password);
      await this.recordFailure(operator.id, clientKey, locked ? 'locked' : 'disabled');
      return { ok: false };
    }
    if (!(await this.hasher.verify(operator.passwordHash, password))) {
      await this.recordFailure(operator.id, clientKey, 'bad_password');
      return { ok: false };
    }
    await this.dataSource.transaction(async (manager) => {
      await this.operators.resetFailedLoginCount(operator.id, manager);
      await this.loginLocks.delete(operator.id, clientKey, manager);
      if (this.hasher.needsRehash(operator.passwordHash)) {
        await this.operators.updatePasswordHash(operator.id, await this.hasher.hash(password), manager);
      }
    });
    return { ok: true, operator: await this.get(operator.id) };
  }

  /** The current request's client as a keyed fingerprint (the CLI and tests outside a request share one). */
  private requestClientKey(): string {
    return clientKeyOf(currentRequestContext()?.clientIp, this.config.masterKeys.reveal().current);
  }

  private failureDetails(reason: LoginFailure, extra: Record<string, string> = {}) {
    const network = this.audit.requestNetwork();
    return { reason, ...extra, ...(network ? { network } : {}) };
  }

  /**
   * The failure, its audit event and (when it sets a lock) the lock's event in one
   * transaction. Should the counters fail, the failure is still recorded on its own: the
   * attempt must never vanish from the trail, and the caller still gets a plain refusal.
   */
  private async recordFailure(id: string, clientKey: string, reason: LoginFailure): Promise<void> {
    this.metrics.loginFailed(reason);
    const failed = {
      action: 'auth.login.failed',
      actor: ANONYMOUS_ACTOR,
      outcome: 'failure' as const,
      target: operatorTarget(id),
      details: this.failureDetails(reason),
    };
    try {
      await this.dataSource.transaction(async (manager) => {
        const lock = reason === 'bad_password' ? await this.countFailure(manager, id, clientKey) : undefined;
        await this.operators.incrementFailedLoginCount(id, MAX_FAILURE_COUNT, manager);
        await this.audit.record(manager, failed);
        if (lock !== undefined) {
          this.metrics.lockout();
          await this.audit.record(manager, {
            action: 'auth.account.locked',
            actor: { type: 'system', id: 'lockout' },
            target: operatorTarget(id),
            details: { failures: lock.failures, lockSeconds: lock.seconds, ...this.networkDetail() },
          });
        }
      });
    } catch (error) {
      this.logger.error(
        { err: error, operatorId: id },
        'Counting a failed sign-in failed; recording it alone',
      );
      await this.audit.recordAlone(failed);
    }
  }

  private networkDetail(): { network?: string } {
    const network = this.audit.requestNetwork();
    return network ? { network } : {};
  }

  /**
   * One more failure from this client, unless the client is locked (an attempt during a lock
   * changes nothing). Returns the lock it sets, if any. The row is locked for the update, so
   * concurrent failures from one client on any replica count one by one.
   */
  private async countFailure(
    manager: EntityManager,
    operatorId: string,
    clientKey: string,
  ): Promise<{ failures: number; seconds: number } | undefined> {
    const counter = await this.loginLocks.getForUpdate(
      operatorId,
      clientKey,
      FAILURE_MEMORY_SECONDS,
      manager,
    );
    if (counter.locked) return undefined;
    const failures = Math.min((counter.stale ? 0 : counter.failedCount) + 1, MAX_FAILURE_COUNT);
    const seconds = lockSecondsFor(failures);
    await this.loginLocks.setFailures(operatorId, clientKey, failures, seconds, manager);
    if (seconds === null) return undefined;
    // The admin view shows the account as locked while any address is.
    await this.operators.extendLockedUntil(operatorId, seconds, manager);
    return { failures, seconds };
  }
}
