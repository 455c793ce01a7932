import { Scope } from '@orderops/access';
import { systemActor } from '@orderops/audit';
import { sealedKeyVersion } from '@orderops/core';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedEvents } from '../../../../test/support/audit.js';
import { startAuthServices, type AuthServices } from '../../../../test/support/auth-services.js';
import { provisionTestDatabase } from '../../../../test/support/test-database.js';
import { readQrCodeSvg } from '../../../../test/support/qr.js';
import { authenticatorCode } from '../../../../test/support/totp.js';
import { MfaAlreadyEnrolledError, MfaNotPendingError, OperatorNotFoundError } from '../auth.errors.js';
import { OperatorsService } from '../operators/operators.service.js';
import { base32Decode } from './base32.js';
import { MFA_LOCK_AFTER_FAILURES, MfaService } from './mfa.service.js';
import { totpStep } from './totp.js';

const PASSWORD = 'mfa-spec-operator-pw-5e28';
const ACTOR = systemActor('spec');
const masterKey = (version: number) => `v${version}:${randomBytes(32).toString('base64')}`;

/** The code an authenticator app shows for `secret` at `offset` steps from now (an independent implementation). */
const codeAt = authenticatorCode;

describe('MfaService', () => {
  let s: AuthServices;
  let mfa: MfaService;
  let operators: OperatorsService;

  beforeAll(async () => {
    s = await startAuthServices();
    mfa = s.module.get(MfaService);
    operators = s.module.get(OperatorsService);
  });

  afterAll(async () => {
    await s?.close();
  });

  const newOperator = async (username: string) =>
    (await operators.create(username, PASSWORD, [Scope.Admin], ACTOR)).id;

  /** An operator with a confirmed second factor: its secret and recovery codes. */
  const enrolled = async (username: string) => {
    const id = await newOperator(username);
    const { secret } = await mfa.beginEnrolment(id, ACTOR);
    const confirmed = await mfa.confirmEnrolment(id, codeAt(secret), ACTOR);
    if (!confirmed.ok) throw new Error('confirmation failed');
    return { id, secret, recoveryCodes: confirmed.recoveryCodes };
  };

  const row = async (id: string) => {
    const [r] = await s.dataSource.query<
      {
        secret_sealed: string;
        failed_attempts: number;
        locked: boolean | null;
        last_used_step: string | null;
      }[]
    >(
      `SELECT secret_sealed, failed_attempts, locked_until > now() AS locked, last_used_step
         FROM operator_mfa WHERE operator_id = $1`,
      [id],
    );
    return r;
  };

  /** Everything the audit trail holds, as one string, to look for what must never be in it. */
  const auditText = async () => JSON.stringify(await storedEvents(s.dataSource));

  describe('enrolment', () => {
    it('returns a 160-bit secret as text, an otpauth URI and a QR code, stores it sealed, and stays pending', async () => {
      const id = await newOperator('mfa-enrol');
      expect(await mfa.status(id)).toEqual({ state: 'none', recoveryCodesLeft: 0, locked: false });
      const enrolment = await mfa.beginEnrolment(id, ACTOR);
      expect(enrolment.secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(base32Decode(enrolment.secret)).toHaveLength(20);
      expect(enrolment.otpauthUri).toBe(
        `otpauth://totp/OrderOps:mfa-enrol?secret=${enrolment.secret}&issuer=OrderOps`,
      );
      expect(enrolment.qrCodeSvg).toMatch(
        /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 \d+ \d+">/,
      );
      expect(enrolment.qrCodeSvg).not.toMatch(/<script|href|<image/i);
      expect(readQrCodeSvg(enrolment.qrCodeSvg)).toBe(enrolment.otpauthUri);
      expect(await mfa.status(id)).toEqual({ state: 'pending', recoveryCodesLeft: 0, locked: false });

      const stored = await row(id);
      expect(stored.secret_sealed.startsWith('ob1.')).toBe(true);
      expect(stored.secret_sealed).not.toContain(enrolment.secret);
      const [started] = (await storedEvents(s.dataSource, 'auth.mfa.enrolment_started')).filter(
        (e) => e.target_id === id,
      );
      expect(started).toMatchObject({ actor: 'spec', target_type: 'operator' });
      expect(await auditText()).not.toContain(enrolment.secret);
      expect(await auditText()).not.toContain('mfa-enrol');
    });

    it('a new enrolment replaces a pending secret: codes of the old one no longer confirm', async () => {
      const id = await newOperator('mfa-replace');
      const first = await mfa.beginEnrolment(id, ACTOR);
      const second = await mfa.beginEnrolment(id, ACTOR);
      expect(second.secret).not.toBe(first.secret);
      expect(await mfa.confirmEnrolment(id, codeAt(first.secret), ACTOR)).toEqual({
        ok: false,
        reason: 'wrong_code',
      });
      expect((await mfa.confirmEnrolment(id, codeAt(second.secret), ACTOR)).ok).toBe(true);
    });

    it('a wrong code leaves it pending; a valid one confirms it and returns ten distinct recovery codes, stored hashed', async () => {
      const id = await newOperator('mfa-confirm');
      const { secret } = await mfa.beginEnrolment(id, ACTOR);
      const wrong = String((Number(codeAt(secret)) + 1) % 1_000_000).padStart(6, '0');
      expect(await mfa.confirmEnrolment(id, wrong, ACTOR)).toEqual({ ok: false, reason: 'wrong_code' });
      expect((await mfa.status(id)).state).toBe('pending');

      const confirmed = await mfa.confirmEnrolment(id, codeAt(secret), ACTOR);
      if (!confirmed.ok) throw new Error('expected a confirmation');
      expect(confirmed.amr).toBe('otp');
      expect(confirmed.recoveryCodes).toHaveLength(10);
      expect(new Set(confirmed.recoveryCodes).size).toBe(10);
      for (const code of confirmed.recoveryCodes) expect(code).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
      expect(await mfa.status(id)).toEqual({ state: 'active', recoveryCodesLeft: 10, locked: false });

      const hashes = await s.dataSource.query<{ code_hash: string }[]>(
        'SELECT code_hash FROM mfa_recovery_codes WHERE operator_id = $1',
        [id],
      );
      expect(hashes).toHaveLength(10);
      const stored = JSON.stringify(hashes);
      for (const code of confirmed.recoveryCodes) {
        expect(stored).not.toContain(code.replaceAll('-', ''));
      }
      const [event] = (await storedEvents(s.dataSource, 'auth.mfa.enrolled')).filter(
        (e) => e.target_id === id,
      );
      expect(event.details).toEqual({ recoveryCodeCount: 10 });
      const audit = await auditText();
      for (const code of confirmed.recoveryCodes) expect(audit).not.toContain(code);
    });

    it('refuses to enrol over a confirmed factor, and to confirm without a pending enrolment', async () => {
      const { id, secret } = await enrolled('mfa-twice');
      await expect(mfa.beginEnrolment(id, ACTOR)).rejects.toBeInstanceOf(MfaAlreadyEnrolledError);
      await expect(mfa.confirmEnrolment(id, codeAt(secret, 1), ACTOR)).rejects.toBeInstanceOf(
        MfaNotPendingError,
      );
      const none = await newOperator('mfa-none');
      await expect(mfa.confirmEnrolment(none, '123456', ACTOR)).rejects.toBeInstanceOf(MfaNotPendingError);
      await expect(mfa.beginEnrolment('00000000-0000-4000-8000-000000000000', ACTOR)).rejects.toBeInstanceOf(
        OperatorNotFoundError,
      );
    });
  });

  describe('verify', () => {
    it('accepts a code once: the step used at confirmation, a replayed code and an older step are refused', async () => {
      const { id, secret } = await enrolled('mfa-replay');
      // Confirmation spent the current step.
      expect(await mfa.verify(id, codeAt(secret))).toEqual({ ok: false, reason: 'wrong_code' });
      expect(await mfa.verify(id, codeAt(secret, 1))).toEqual({ ok: true, amr: 'otp' });
      expect(await mfa.verify(id, codeAt(secret, 1))).toEqual({ ok: false, reason: 'wrong_code' });
      expect(await mfa.verify(id, codeAt(secret, -1))).toEqual({ ok: false, reason: 'wrong_code' });
      expect(Number((await row(id)).last_used_step)).toBe(totpStep(Date.now()) + 1);
    });

    it('accepts a code once even when it is presented many times at once', async () => {
      const { id, secret } = await enrolled('mfa-race');
      const code = codeAt(secret, 1);
      // Fewer than the lock threshold: each replay counts as a wrong code.
      const results = await Promise.all(
        Array.from({ length: MFA_LOCK_AFTER_FAILURES }, () => mfa.verify(id, code)),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok)).toEqual(
        Array(MFA_LOCK_AFTER_FAILURES - 1).fill({ ok: false, reason: 'wrong_code' }),
      );
    });

    it('refuses codes two steps away and another operator’s codes', async () => {
      const { id, secret } = await enrolled('mfa-window');
      const other = await enrolled('mfa-other');
      expect(await mfa.verify(id, codeAt(secret, 3))).toEqual({ ok: false, reason: 'wrong_code' });
      expect(await mfa.verify(id, codeAt(other.secret, 1))).toEqual({ ok: false, reason: 'wrong_code' });
      expect((await mfa.verify(id, codeAt(secret, 1))).ok).toBe(true);
    });

    it('refuses operators without a confirmed factor, auditing the failure', async () => {
      const none = await newOperator('mfa-verify-none');
      expect(await mfa.verify(none, '123456')).toEqual({ ok: false, reason: 'not_enrolled' });
      const pending = await newOperator('mfa-verify-pending');
      const { secret } = await mfa.beginEnrolment(pending, ACTOR);
      expect(await mfa.verify(pending, codeAt(secret))).toEqual({ ok: false, reason: 'not_enrolled' });
      const failed = (await storedEvents(s.dataSource, 'auth.mfa.failed')).filter(
        (e) => e.target_id === none,
      );
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ outcome: 'failure', actor_type: 'anonymous' });
      expect(failed[0].details).toMatchObject({ method: 'totp', reason: 'not_enrolled' });
    });

    it(`locks after ${MFA_LOCK_AFTER_FAILURES} wrong codes: even the right one is refused, attempts during the lock do not count, and it passes once the lock ended`, async () => {
      const { id, secret } = await enrolled('mfa-lock');
      for (let i = 0; i < MFA_LOCK_AFTER_FAILURES - 1; i++) {
        expect(await mfa.verify(id, '000000')).toEqual({ ok: false, reason: 'wrong_code' });
      }
      expect((await row(id)).locked).toBeNull();
      expect(await mfa.verify(id, '000000')).toEqual({ ok: false, reason: 'wrong_code' });
      expect(await row(id)).toMatchObject({ failed_attempts: MFA_LOCK_AFTER_FAILURES, locked: true });
      const [lock] = (await storedEvents(s.dataSource, 'auth.mfa.locked')).filter((e) => e.target_id === id);
      expect(lock.details).toEqual({ failures: MFA_LOCK_AFTER_FAILURES, lockSeconds: 60 });

      expect(await mfa.verify(id, codeAt(secret, 1))).toEqual({ ok: false, reason: 'locked' });
      expect(await mfa.verify(id, '000000')).toEqual({ ok: false, reason: 'locked' });
      expect((await row(id)).failed_attempts).toBe(MFA_LOCK_AFTER_FAILURES);
      expect((await mfa.status(id)).locked).toBe(true);

      await s.dataSource.query(
        `UPDATE operator_mfa SET locked_until = now() - interval '1 second' WHERE operator_id = $1`,
        [id],
      );
      expect(await mfa.verify(id, codeAt(secret, 1))).toEqual({ ok: true, amr: 'otp' });
      expect(await row(id)).toMatchObject({ failed_attempts: 0, locked: null });
    });

    it('the next wrong code after a lock doubles it', async () => {
      const { id } = await enrolled('mfa-double');
      for (let i = 0; i < MFA_LOCK_AFTER_FAILURES; i++) await mfa.verify(id, '000000');
      await s.dataSource.query(
        `UPDATE operator_mfa SET locked_until = now() - interval '1 second' WHERE operator_id = $1`,
        [id],
      );
      await mfa.verify(id, '000000');
      const locks = (await storedEvents(s.dataSource, 'auth.mfa.locked')).filter((e) => e.target_id === id);
      expect(locks.map((e) => e.details.lockSeconds)).toEqual([60, 120]);
    });
  });

  describe('recovery codes', () => {
    it('each passes once, in any case and without dashes; a spent or foreign code is refused; use is audited', async () => {
      const { id, recoveryCodes } = await enrolled('mfa-recovery');
      const other = await enrolled('mfa-recovery-other');
      expect(await mfa.useRecoveryCode(id, recoveryCodes[0])).toEqual({ ok: true, amr: 'otp' });
      expect(await mfa.useRecoveryCode(id, recoveryCodes[0])).toEqual({ ok: false, reason: 'wrong_code' });
      expect(await mfa.useRecoveryCode(id, recoveryCodes[1].replaceAll('-', '').toUpperCase())).toEqual({
        ok: true,
        amr: 'otp',
      });
      expect(await mfa.useRecoveryCode(id, other.recoveryCodes[0])).toEqual({
        ok: false,
        reason: 'wrong_code',
      });
      expect(await mfa.useRecoveryCode(id, 'not a code')).toEqual({ ok: false, reason: 'wrong_code' });
      expect((await mfa.status(id)).recoveryCodesLeft).toBe(8);
      expect((await mfa.status(other.id)).recoveryCodesLeft).toBe(10);

      const used = (await storedEvents(s.dataSource, 'auth.mfa.recovery_code_used')).filter(
        (e) => e.target_id === id,
      );
      expect(used.map((e) => [e.actor, e.details])).toEqual([
        [id, { remaining: 9 }],
        [id, { remaining: 8 }],
      ]);
      const audit = await auditText();
      for (const code of recoveryCodes) expect(audit).not.toContain(code);
    });

    it('a code presented many times at once is spent once', async () => {
      const { id, recoveryCodes } = await enrolled('mfa-recovery-race');
      const results = await Promise.all(
        Array.from({ length: 6 }, () => mfa.useRecoveryCode(id, recoveryCodes[0])),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect((await mfa.status(id)).recoveryCodesLeft).toBe(9);
    });

    it('count towards the same lock as wrong TOTP codes', async () => {
      const { id, recoveryCodes } = await enrolled('mfa-recovery-lock');
      for (let i = 0; i < MFA_LOCK_AFTER_FAILURES; i++) await mfa.useRecoveryCode(id, 'aaaa-aaaa-aaaa-aaaa');
      expect(await mfa.useRecoveryCode(id, recoveryCodes[0])).toEqual({ ok: false, reason: 'locked' });
      expect((await mfa.status(id)).recoveryCodesLeft).toBe(10);
    });
  });

  describe('reset', () => {
    it('removes the factor and its codes, is audited with the state it had, and allows a new enrolment', async () => {
      const { id, secret, recoveryCodes } = await enrolled('mfa-reset');
      await mfa.reset(id, ACTOR);
      expect(await mfa.status(id)).toEqual({ state: 'none', recoveryCodesLeft: 0, locked: false });
      expect(await mfa.verify(id, codeAt(secret, 1))).toEqual({ ok: false, reason: 'not_enrolled' });
      expect(await mfa.useRecoveryCode(id, recoveryCodes[0])).toEqual({ ok: false, reason: 'not_enrolled' });
      const [event] = (await storedEvents(s.dataSource, 'admin.operator.mfa_reset')).filter(
        (e) => e.target_id === id,
      );
      expect(event).toMatchObject({ actor: 'spec', details: { previousState: 'active' } });
      expect((await mfa.beginEnrolment(id, ACTOR)).secret).not.toBe(secret);
    });

    it('refuses an unknown operator', async () => {
      await expect(mfa.reset('00000000-0000-4000-8000-000000000000', ACTOR)).rejects.toBeInstanceOf(
        OperatorNotFoundError,
      );
    });
  });
});

describe('MfaService across a master-key rotation', () => {
  it('re-seals secrets under the new key at start, they still verify, and a start without their key is refused', async () => {
    const db = await provisionTestDatabase();
    const v1 = masterKey(1);
    const v2 = masterKey(2);
    try {
      let s = await startAuthServices({ ORDEROPS_MASTER_KEYS: v1 }, { database: db });
      let id: string;
      let secret: string;
      try {
        id = (await s.module.get(OperatorsService).create('mfa-rotate', PASSWORD, [Scope.Admin], ACTOR)).id;
        const mfa = s.module.get(MfaService);
        secret = (await mfa.beginEnrolment(id, ACTOR)).secret;
        expect((await mfa.confirmEnrolment(id, codeAt(secret), ACTOR)).ok).toBe(true);
      } finally {
        await s.close();
      }
      const sealedVersion = async () => {
        const [r] = await s.dataSource.query<{ secret_sealed: string }[]>(
          'SELECT secret_sealed FROM operator_mfa WHERE operator_id = $1',
          [id],
        );
        return sealedKeyVersion(r.secret_sealed);
      };

      s = await startAuthServices({ ORDEROPS_MASTER_KEYS: `${v2},${v1}` }, { database: db });
      try {
        expect(await sealedVersion()).toBe(2);
        expect(await s.module.get(MfaService).verify(id, codeAt(secret, 1))).toEqual({
          ok: true,
          amr: 'otp',
        });
      } finally {
        await s.close();
      }

      // v1 dropped: the secret opens under v2 alone.
      s = await startAuthServices({ ORDEROPS_MASTER_KEYS: v2 }, { database: db });
      try {
        const mfa = s.module.get(MfaService);
        expect(await mfa.resealUnderCurrentMasterKey()).toEqual({ resealed: 0 });
        // The step used above is spent; a fresh one proves the secret opens.
        expect(await mfa.useRecoveryCode(id, 'aaaa-aaaa-aaaa-aaaa')).toEqual({
          ok: false,
          reason: 'wrong_code',
        });
        expect((await mfa.verify(id, codeAt(secret, 1))).ok).toBe(false);
        await s.dataSource.query('UPDATE operator_mfa SET last_used_step = NULL WHERE operator_id = $1', [
          id,
        ]);
        expect(await mfa.verify(id, codeAt(secret))).toEqual({ ok: true, amr: 'otp' });
      } finally {
        await s.close();
      }

      await expect(
        startAuthServices({ ORDEROPS_MASTER_KEYS: masterKey(3) }, { database: db }),
      ).rejects.toThrow(
        /1 second-factor secret\(s\) are sealed with a master key version that ORDEROPS_MASTER_KEYS does not list/,
      );
    } finally {
      await db.dispose();
    }
  });
});
