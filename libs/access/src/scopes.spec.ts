import { describe, expect, it } from 'vitest';
import { ALL_SCOPES, formatScopes, parseScopeParam } from './scopes.js';

describe('scopes', () => {
  it('parses a space-delimited parameter, separating unknown names and dropping repeats', () => {
    expect(parseScopeParam('orders:read  admin orders:read nope')).toEqual({
      scopes: ['orders:read', 'admin'],
      unknown: ['nope'],
    });
  });

  it('formats in the canonical order', () => {
    expect(formatScopes(['admin', 'orders:read'])).toBe('orders:read admin');
  });

  it('knows the eight scopes of DESIGN §3', () => {
    expect([...ALL_SCOPES].sort()).toEqual(
      [
        'admin',
        'audit:read',
        'orders:import',
        'orders:read',
        'orders:write',
        'pii:erase',
        'pii:export',
        'pii:reveal',
      ].sort(),
    );
  });
});
