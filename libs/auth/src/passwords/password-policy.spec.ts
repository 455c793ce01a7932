import { describe, expect, it } from 'vitest';
import { commonPasswordCount, passwordPolicyViolation } from './password-policy.js';

describe('passwordPolicyViolation', () => {
  it.each([
    ['correct horse battery staple', undefined],
    ['Tr0ub4dor&3-but-longer', undefined],
    ['ünïcødé façade ☕', undefined],
  ])('accepts %j', (password, expected) => {
    expect(passwordPolicyViolation(password, 'someone')).toBe(expected);
  });

  it.each([
    ['elevenchars', 'at least 12'],
    ['☕☕☕☕☕☕☕☕☕☕☕', 'at least 12'],
    ['x'.repeat(257), 'at most 256'],
    ['password1234', 'too common'],
    ['PASSWORD1234', 'too common'],
    ['qwertyuiop123', 'too common'],
    ['my-name-is-jdoe-99', 'username'],
    ['aaaaaaaaaaaaaaaa', 'repeated'],
    ['ÿÿÿÿÿÿÿÿÿÿÿÿÿÿ', 'repeated'],
  ])('refuses %j (%s)', (password, reason) => {
    expect(passwordPolicyViolation(password, 'jdoe')).toContain(reason);
  });

  it('counts code points, so a 12-emoji passphrase is long enough', () => {
    expect(passwordPolicyViolation('☕🍵🧋🥤☕🍵🧋🥤☕🍵🧋🥤', 'x')).toBeUndefined();
  });

  it('ships at least 10,000 common passwords', () => {
    expect(commonPasswordCount()).toBeGreaterThanOrEqual(10_000);
  });
});
