import { createHash, randomBytes } from 'node:crypto';
import { base32Encode } from './base32.js';

export const RECOVERY_CODE_COUNT = 10;
/** 80 random bits: 16 base32 characters, shown in groups of four. */
const RECOVERY_CODE_BYTES = 10;

/** A fresh code as shown to the operator: `abcd-efgh-ijkl-mnop` (RFC 4648 base32, lower case). */
export function newRecoveryCode(): string {
  const text = base32Encode(randomBytes(RECOVERY_CODE_BYTES), { padding: false }).toLowerCase();
  return text.match(/.{4}/g)!.join('-');
}

/** What the operator typed, without case, spaces or dashes; undefined when it cannot be a code. */
export function normalizeRecoveryCode(input: string): string | undefined {
  const text = input.replace(/[\s-]/g, '').toLowerCase();
  return /^[a-z2-7]{16}$/.test(text) ? text : undefined;
}

/**
 * SHA-256 of the operator id and the normalized code. The codes are 80 random bits from the
 * server, not chosen by a person: there is no dictionary for a slow hash (argon2) to slow
 * down, and 2^80 guesses per code are out of reach for any hash. The operator id makes the
 * same code hash differently for each operator. Unkeyed on purpose: a master-key rotation
 * cannot re-hash codes whose clear text is gone, and none is needed.
 */
export function recoveryCodeHash(operatorId: string, normalizedCode: string): string {
  return createHash('sha256')
    .update(`orderops/recovery-code|${operatorId}|${normalizedCode}`, 'utf8')
    .digest('hex');
}
