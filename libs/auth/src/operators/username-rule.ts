/**
 * What an operator's username may be, in one place for the API's DTO and the CLI: 3-64
 * letters, digits, dots, underscores and hyphens (compared without case).
 */
export const USERNAME_MIN_LENGTH = 3;
export const USERNAME_MAX_LENGTH = 64;
export const USERNAME_PATTERN = /^[A-Za-z0-9._-]+$/;
export const USERNAME_CHARACTERS_MESSAGE = 'username may contain letters, digits, dot, underscore and hyphen';

/** Why a username breaks the rule, in the API's words; undefined when it keeps it. */
export function usernameRuleViolation(username: string): string | undefined {
  if (username.length < USERNAME_MIN_LENGTH || username.length > USERNAME_MAX_LENGTH)
    return `username must be ${USERNAME_MIN_LENGTH}-${USERNAME_MAX_LENGTH} characters long`;
  if (!USERNAME_PATTERN.test(username)) return USERNAME_CHARACTERS_MESSAGE;
  return undefined;
}
