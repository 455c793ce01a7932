import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { CreateOperatorDto } from '../admin/admin.dto.js';
import { usernameRuleViolation } from './username-rule.js';

/** The API refuses a username when its DTO does; the CLI asks usernameRuleViolation. */
function apiRefuses(username: string): boolean {
  const dto = plainToInstance(CreateOperatorDto, { username, password: 'x', scopes: [] });
  return validateSync(dto).some((e) => e.property === 'username');
}

describe('the username rule (POST /admin/operators and `orderops operators create`)', () => {
  it('gives the API and the CLI the same verdict on every edge', () => {
    const names = [
      'jdoe',
      'Alice.Ops',
      'a_b-c.d',
      'abc',
      'a'.repeat(64),
      'ab',
      'a'.repeat(65),
      '',
      'bad name',
      ' jdoe',
      'jdoe@example.com',
      'jdöe',
      'a/b',
      'null\u0000byte',
    ];
    for (const name of names) expect(usernameRuleViolation(name) !== undefined, name).toBe(apiRefuses(name));
  });

  it('words the refusal for a person', () => {
    expect(usernameRuleViolation('ab')).toBe('username must be 3-64 characters long');
    expect(usernameRuleViolation('bad name')).toBe(
      'username may contain letters, digits, dot, underscore and hyphen',
    );
    expect(usernameRuleViolation('jdoe')).toBeUndefined();
  });
});
