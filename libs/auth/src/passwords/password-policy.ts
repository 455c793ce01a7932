import { dictionary } from '@zxcvbn-ts/language-common';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

/** 49,233 passwords seen most often in breaches (zxcvbn-ts, MIT), compared case-insensitively. */
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  dictionary['passwords-common'].map((p) => p.toLowerCase()),
);

export function commonPasswordCount(): number {
  return COMMON_PASSWORDS.size;
}

/**
 * NIST SP 800-63B style: length 12..256 (in Unicode code points, so emoji and accents
 * count once), no composition rules, and not a known-common password or the username.
 * Returns the reason for refusal, or undefined when acceptable. Never echoes the password.
 */
export function passwordPolicyViolation(password: string, username?: string): string | undefined {
  const length = [...password.normalize('NFC')].length;
  if (length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  const lowered = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lowered)) return 'is too common';
  if (username !== undefined && lowered.includes(username.toLowerCase()))
    return 'must not contain the username';
  if (/^(.)\1*$/u.test(password)) return 'must not be one repeated character';
  return undefined;
}
