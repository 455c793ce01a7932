import { Scope } from '@orderops/access';
import { ConfigError, loadConfig } from '@orderops/core';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MfaPolicy } from './mfa-policy.js';

const key = (): string => randomBytes(32).toString('base64');

/** Enough of an environment for loadConfig in each mode; no data directory is written. */
function policy(env: Record<string, string>): MfaPolicy {
  return new MfaPolicy(
    loadConfig({
      ORDEROPS_MASTER_KEYS: `v1:${key()}`,
      ORDEROPS_BLIND_INDEX_KEY: key(),
      ...env,
    }),
  );
}

const production = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://orderops@db.internal:5432/orderops',
  ORDEROPS_ISSUER: 'https://orders.example.com',
};

describe('MfaPolicy', () => {
  it('requires the second factor for admin and the clear-text personal-data scopes in production by default', () => {
    expect(policy(production).required).toEqual(['admin', 'pii:reveal', 'pii:export', 'pii:erase']);
  });

  it('requires nothing by default in development and test', () => {
    expect(policy({ NODE_ENV: 'test' }).required).toEqual([]);
    expect(policy({ NODE_ENV: 'development' }).required).toEqual([]);
  });

  it('takes the configured list in any mode; none lists none even in production', () => {
    expect(policy({ NODE_ENV: 'test', ORDEROPS_MFA_REQUIRED_SCOPES: 'audit:read' }).required).toEqual([
      'audit:read',
    ]);
    expect(policy({ ...production, ORDEROPS_MFA_REQUIRED_SCOPES: 'none' }).required).toEqual([]);
  });

  it('refuses to start on a name that is not a scope, naming the setting and the entry, not the value', () => {
    const attempt = () => policy({ NODE_ENV: 'test', ORDEROPS_MFA_REQUIRED_SCOPES: 'admin,orders:delete' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow('ORDEROPS_MFA_REQUIRED_SCOPES: entry 2 is not a known scope');
    expect(attempt).not.toThrow('orders:delete');
  });

  it('withholds the required scopes from a sign-in without otp and grants them with it', () => {
    const p = policy({ NODE_ENV: 'test', ORDEROPS_MFA_REQUIRED_SCOPES: 'admin,pii:reveal' });
    const asked = [Scope.OrdersRead, Scope.Admin, Scope.PiiReveal, Scope.PiiExport];
    expect(p.decide(asked, ['pwd'])).toEqual({
      granted: [Scope.OrdersRead, Scope.PiiExport],
      withheld: [Scope.Admin, Scope.PiiReveal],
    });
    expect(p.decide(asked, [])).toEqual({
      granted: [Scope.OrdersRead, Scope.PiiExport],
      withheld: [Scope.Admin, Scope.PiiReveal],
    });
    expect(p.decide(asked, ['pwd', 'otp'])).toEqual({ granted: asked, withheld: [] });
    expect(p.needsSecondFactor([Scope.OrdersRead])).toBe(false);
    expect(p.needsSecondFactor([Scope.OrdersRead, Scope.PiiReveal])).toBe(true);
  });

  it('changes nothing when no scope is required', () => {
    const p = policy({ NODE_ENV: 'test' });
    expect(p.decide([Scope.Admin], ['pwd'])).toEqual({ granted: [Scope.Admin], withheld: [] });
  });
});
