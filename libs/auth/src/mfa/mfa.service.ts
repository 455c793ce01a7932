import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ANONYMOUS_ACTOR, AuditService, type AuditActor } from '@orderops/audit';
import { InjectConfig, open, seal, sealedKeyVersion, type AppConfig } from '@orderops/core';
import { randomBytes } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { MfaAlreadyEnrolledError, MfaNotPendingError, OperatorNotFoundError } from '../auth.errors.js';
import { OperatorsRepository } from '../operators/operators.repository.js';
import { RefreshTokensRepository } from '../tokens/refresh-tokens.repository.js';
import { base32Encode } from './base32.js';
import { MfaRepository, type MfaRowForCheck } from './mfa.repository.js';
import { AMR_OTP } from './mfa-policy.js';
import { qrCodeSvg } from './qr-code.js';
import {
  newRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_COUNT,
  recoveryCodeHash,
} from './recovery-codes.js';
import { matchTotp } from './totp.js';

/** RFC 4226 §4 asks for at least 128 bits and recommends 160: the HMAC-SHA-1 block's worth. */
const SECRET_BYTES = 20;
const ISSUER = 'OrderOps';

/**
 * Consecutive wrong codes before checks lock; each further wrong code (made after the lock
 * ended) doubles the lock, up to MFA_MAX_LOCK_SECONDS. With a 3-step window a guess passes
 * with odds of 3 in 10^6, so this keeps guessing hopeless while the owner, who mistypes a
 * code now and then, waits a minute at worst.
 */
export const MFA_LOCK_AFTER_FAILURES = 5;
export const MFA_FIRST_LOCK_SECONDS = 60;
export const MFA_MAX_LOCK_SECONDS = 3600;

export function mfaLockSecondsFor(failures: number): number | null {
  if (failures < MFA_LOCK_AFTER_FAILURES) return null;
  const exponent = Math.min(failures - MFA_LOCK_AFTER_FAILURES, 6);
  return Math.min(MFA_MAX_LOCK_SECONDS, MFA_FIRST_LOCK_SECONDS * 2 ** exponent);
}

export type MfaState = 'none' | 'pending' | 'active';

export interface MfaStatus {
  /** none: no second factor; pending: enrolment begun, not confirmed; active: confirmed. */
  readonly state: MfaState;
  readonly recoveryCodesLeft: number;
  /** Wrong codes have locked checks for now. */
  readonly locked: boolean;
}

/** What the enrolling operator is shown, once, to load into an authenticator app. */
export interface MfaEnrolment {
  /** The secret in RFC 4648 base32 (no padding), for typing in. */
  readonly secret: string;
  /** `otpauth://totp/OrderOps:<username>?secret=...&issuer=OrderOps`. */
  readonly otpauthUri: string;
  /** The URI as a QR code (standalone SVG markup). */
  readonly qrCodeSvg: string;
}

export type MfaFailure = 'wrong_code' | 'locked' | 'not_enrolled';

/** A passed check names the RFC 8176 method for the session's `amr`: a recovery code is a one-time password too. */
export type MfaCheck =
  { readonly ok: true; readonly amr: typeof AMR_OTP } | { readonly ok: false; readonly reason: MfaFailure };

export type MfaConfirmation =
  | { readonly ok: true; readonly amr: typeof AMR_OTP; readonly recoveryCodes: string[] }
  | { readonly ok: false; readonly reason: MfaFailure };

type Method = 'totp' | 'recovery_code' | 'confirmation';

const sealContext = (operatorId: string): string => `operator_mfa|secret|${operatorId}`;
const operatorTarget = (id: string) => ({ type: 'operator', id });

/**
 * The TOTP second factor (RFC 6238) as building blocks for the sign-in flow: enrolment
 * (pending until a valid code confirms it), verification (a code is accepted once), ten
 * single-use recovery codes, and the admin reset. Secrets are sealed under the master key and
 * re-sealed at start after a rotation. The secret and the codes never reach logs, audit
 * events or errors: events name the operator by id, never by username.
 */
@Injectable()
export class MfaService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly mfa: MfaRepository,
    private readonly operators: OperatorsRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly audit: AuditService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.resealUnderCurrentMasterKey();
  }

  /** With `requireOperator`, an unknown operator is a 404 rather than `none`. */
  async status(operatorId: string, options: { requireOperator?: boolean } = {}): Promise<MfaStatus> {
    if (options.requireOperator && !(await this.operators.getById(operatorId))) {
      throw new OperatorNotFoundError();
    }
    const row = await this.mfa.get(operatorId);
    if (!row) return { state: 'none', recoveryCodesLeft: 0, locked: false };
    return {
      state: row.confirmedAt === null ? 'pending' : 'active',
      recoveryCodesLeft: await this.mfa.countUnusedRecoveryCodes(operatorId),
      locked: row.lockedUntil !== null && row.lockedUntil.getTime() > Date.now(),
    };
  }

  /**
   * A new secret for the operator, pending until confirmEnrolment gets a valid code from it;
   * it replaces an earlier pending one. Refused (409 `mfa-already-enrolled`) when a confirmed
   * one exists. Audited as `auth.mfa.enrolment_started`.
   */
  async beginEnrolment(operatorId: string, actor: AuditActor): Promise<MfaEnrolment> {
    const operator = await this.operators.getById(operatorId);
    if (!operator) throw new OperatorNotFoundError();
    const secret = randomBytes(SECRET_BYTES);
    await this.dataSource.transaction(async (manager) => {
      const existing = await this.mfa.getForCheck(operatorId, manager);
      if (existing?.confirmed) throw new MfaAlreadyEnrolledError();
      const sealed = seal(this.config.masterKeys.reveal(), secret, sealContext(operatorId));
      await this.mfa.replacePending(operatorId, sealed, manager);
      await this.audit.record(manager, {
        action: 'auth.mfa.enrolment_started',
        actor,
        target: operatorTarget(operatorId),
      });
    });
    const text = base32Encode(secret, { padding: false });
    const label = `${encodeURIComponent(ISSUER)}:${encodeURIComponent(operator.username)}`;
    const otpauthUri = `otpauth://totp/${label}?secret=${text}&issuer=${encodeURIComponent(ISSUER)}`;
    return { secret: text, otpauthUri, qrCodeSvg: qrCodeSvg(otpauthUri) };
  }

  /**
   * Confirms a pending enrolment with a code from the new secret, which counts as passing the
   * second factor, and returns ten fresh recovery codes: shown once, stored only as hashes.
   * 409 `mfa-not-pending` without a pending enrolment. Audited as `auth.mfa.enrolled`.
   */
  async confirmEnrolment(operatorId: string, code: string, actor: AuditActor): Promise<MfaConfirmation> {
    return this.dataSource.transaction(async (manager) => {
      const row = await this.mfa.getForCheck(operatorId, manager);
      if (!row || row.confirmed) throw new MfaNotPendingError();
      const refused = await this.refuseWhileLocked(row, operatorId, 'confirmation', manager);
      if (refused) return refused;
      const step = matchTotp(
        this.openSecret(operatorId, row.secretSealed),
        code,
        Date.now(),
        row.lastUsedStep,
      );
      if (step === undefined) return this.countFailure(row, operatorId, 'confirmation', manager);
      await this.mfa.recordAccepted(operatorId, step, true, manager);
      const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
      await this.mfa.insertRecoveryCodes(
        operatorId,
        recoveryCodes.map((c) => recoveryCodeHash(operatorId, normalizeRecoveryCode(c)!)),
        manager,
      );
      await this.audit.record(manager, {
        action: 'auth.mfa.enrolled',
        actor,
        target: operatorTarget(operatorId),
        details: { recoveryCodeCount: RECOVERY_CODE_COUNT },
      });
      return { ok: true as const, amr: AMR_OTP, recoveryCodes };
    });
  }

  /**
   * Checks a TOTP code of the operator's confirmed second factor. A code passes once: its
   * step is stored, and that step and older ones are refused from then on, on every replica
   * (the row is locked for the check). Wrong codes count towards the lock; every failure is
   * audited (`auth.mfa.failed`), a lock too (`auth.mfa.locked`).
   */
  async verify(operatorId: string, code: string): Promise<MfaCheck> {
    return this.dataSource.transaction(async (manager) => {
      const row = await this.mfa.getForCheck(operatorId, manager);
      if (!row?.confirmed) return this.notEnrolled(operatorId, 'totp', manager);
      const refused = await this.refuseWhileLocked(row, operatorId, 'totp', manager);
      if (refused) return refused;
      const step = matchTotp(
        this.openSecret(operatorId, row.secretSealed),
        code,
        Date.now(),
        row.lastUsedStep,
      );
      if (step === undefined) return this.countFailure(row, operatorId, 'totp', manager);
      await this.mfa.recordAccepted(operatorId, step, false, manager);
      return { ok: true as const, amr: AMR_OTP };
    });
  }

  /**
   * Passes the second factor with one of the operator's recovery codes, which is spent.
   * Wrong or spent codes count towards the same lock as wrong TOTP codes. Audited as
   * `auth.mfa.recovery_code_used` with the number of codes left.
   */
  async useRecoveryCode(operatorId: string, code: string): Promise<MfaCheck> {
    return this.dataSource.transaction(async (manager) => {
      const row = await this.mfa.getForCheck(operatorId, manager);
      if (!row?.confirmed) return this.notEnrolled(operatorId, 'recovery_code', manager);
      const refused = await this.refuseWhileLocked(row, operatorId, 'recovery_code', manager);
      if (refused) return refused;
      const normalized = normalizeRecoveryCode(code);
      const spent =
        normalized !== undefined &&
        (await this.mfa.spendRecoveryCode(operatorId, recoveryCodeHash(operatorId, normalized), manager));
      if (!spent) return this.countFailure(row, operatorId, 'recovery_code', manager);
      await this.mfa.recordAccepted(operatorId, null, false, manager);
      await this.audit.record(manager, {
        action: 'auth.mfa.recovery_code_used',
        actor: { type: 'operator', id: operatorId },
        target: operatorTarget(operatorId),
        details: { remaining: await this.mfa.countUnusedRecoveryCodes(operatorId, manager) },
      });
      return { ok: true as const, amr: AMR_OTP };
    });
  }

  /**
   * Removes the operator's second factor (confirmed or pending) and its recovery codes, for
   * an operator who lost the device: the next privileged sign-in enrols again. The refresh
   * families whose sign-in passed it are revoked. 404 for an unknown operator. Audited as
   * `admin.operator.mfa_reset` with the state it had and the number of families revoked.
   */
  async reset(operatorId: string, actor: AuditActor): Promise<void> {
    if (!(await this.operators.getById(operatorId))) throw new OperatorNotFoundError();
    await this.dataSource.transaction(async (manager) => {
      const row = await this.mfa.getForCheck(operatorId, manager);
      const previous: MfaState = !row ? 'none' : row.confirmed ? 'active' : 'pending';
      await this.mfa.delete(operatorId, manager);
      // Whatever passed the old factor stops refreshing: if the device was stolen rather than
      // lost, the sessions it helped open end with it. Password-only families are left alone.
      const families = await this.refreshTokens.revokeFamiliesAuthenticatedBy(operatorId, AMR_OTP, manager);
      await this.audit.record(manager, {
        action: 'admin.operator.mfa_reset',
        actor,
        target: operatorTarget(operatorId),
        details: { previousState: previous, revokedRefreshFamilies: families },
      });
    });
  }

  /**
   * After a master-key rotation (new version first in ORDEROPS_MASTER_KEYS), re-seals the
   * secrets still sealed under an older version, so that version can later be removed.
   * Refuses to start while a secret is sealed under a version no longer configured: those
   * operators could not pass the second factor, which must show at deploy time.
   */
  async resealUnderCurrentMasterKey(): Promise<{ resealed: number }> {
    const ring = this.config.masterKeys.reveal();
    const rows = await this.mfa.listSealedSecrets();
    const stale = rows.filter((r) => sealedKeyVersion(r.secretSealed) !== ring.current.version);
    const unknown = stale.filter((r) => ring.find(sealedKeyVersion(r.secretSealed)) === undefined);
    if (unknown.length > 0) {
      throw new Error(
        `${unknown.length} second-factor secret(s) are sealed with a master key version that ORDEROPS_MASTER_KEYS ` +
          'does not list. Add that version back (after the current one) and restart: secrets are re-sealed at start.',
      );
    }
    for (const row of stale) {
      const context = sealContext(row.operatorId);
      const resealed = seal(ring, open(ring, row.secretSealed, context), context);
      await this.mfa.resealSecret(row.operatorId, row.secretSealed, resealed);
    }
    return { resealed: stale.length };
  }

  private openSecret(operatorId: string, sealed: string): Buffer {
    return open(this.config.masterKeys.reveal(), sealed, sealContext(operatorId));
  }

  private async notEnrolled(operatorId: string, method: Method, manager: EntityManager): Promise<MfaCheck> {
    await this.recordFailed(operatorId, method, 'not_enrolled', manager);
    return { ok: false, reason: 'not_enrolled' };
  }

  /** During a lock nothing is checked, counted or extended: the attempt is refused and audited. */
  private async refuseWhileLocked(
    row: MfaRowForCheck,
    operatorId: string,
    method: Method,
    manager: EntityManager,
  ): Promise<{ ok: false; reason: 'locked' } | undefined> {
    if (!row.locked) return undefined;
    await this.recordFailed(operatorId, method, 'locked', manager);
    return { ok: false, reason: 'locked' };
  }

  private async countFailure(
    row: MfaRowForCheck,
    operatorId: string,
    method: Method,
    manager: EntityManager,
  ): Promise<{ ok: false; reason: 'wrong_code' }> {
    const failures = Math.min(row.failedAttempts + 1, 1_000_000);
    const lockSeconds = mfaLockSecondsFor(failures);
    await this.mfa.recordFailures(operatorId, failures, lockSeconds, manager);
    await this.recordFailed(operatorId, method, 'wrong_code', manager);
    if (lockSeconds !== null) {
      await this.audit.record(manager, {
        action: 'auth.mfa.locked',
        actor: { type: 'system', id: 'lockout' },
        target: operatorTarget(operatorId),
        details: { failures, lockSeconds },
      });
    }
    return { ok: false, reason: 'wrong_code' };
  }

  private async recordFailed(
    operatorId: string,
    method: Method,
    reason: MfaFailure,
    manager: EntityManager,
  ): Promise<void> {
    const network = this.audit.requestNetwork();
    await this.audit.record(manager, {
      action: 'auth.mfa.failed',
      actor: ANONYMOUS_ACTOR,
      outcome: 'failure',
      target: operatorTarget(operatorId),
      details: { method, reason, ...(network ? { network } : {}) },
    });
  }
}
