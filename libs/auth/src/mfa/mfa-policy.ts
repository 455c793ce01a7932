import { isScope, Scope } from '@orderops/access';
import { Injectable } from '@nestjs/common';
import { ConfigError, InjectConfig, type AppConfig } from '@orderops/core';

/**
 * What `ORDEROPS_MFA_REQUIRED_SCOPES` means when unset in production: the scopes that manage
 * the service or reach personal data in clear. Development and test start with none, so the
 * zero-setup start stays one command.
 */
export const MFA_PRODUCTION_DEFAULT_SCOPES: readonly Scope[] = [
  Scope.Admin,
  Scope.PiiReveal,
  Scope.PiiExport,
  Scope.PiiErase,
];

/** The `amr` value (RFC 8176) of a session whose operator passed the TOTP second factor. */
export const AMR_OTP = 'otp';

export interface ScopeDecision {
  /** What the token may carry. */
  readonly granted: Scope[];
  /** What was asked for and allowed, but needs a second factor this sign-in did not pass. */
  readonly withheld: Scope[];
}

/** The configured list, checked against the scope map: an unknown name refuses the boot. */
export function mfaRequiredScopesOf(config: AppConfig): Scope[] {
  const listed = config.auth.mfaRequiredScopes;
  if (listed === undefined) return config.isProduction ? [...MFA_PRODUCTION_DEFAULT_SCOPES] : [];
  const unknown = listed.findIndex((name) => !isScope(name));
  if (unknown >= 0) {
    throw new ConfigError([
      { setting: 'ORDEROPS_MFA_REQUIRED_SCOPES', problem: `entry ${unknown + 1} is not a known scope` },
    ]);
  }
  return listed.filter(isScope);
}

/**
 * The scope rule of the second factor (issue 13 §4): a token for an operator carries a scope
 * of ORDEROPS_MFA_REQUIRED_SCOPES only when the sign-in behind it passed the second factor
 * (its `amr` holds `otp`). The password grant has no second factor, so it never yields them.
 * Clients (machines) are not operators: their registered scopes govern them, and this rule
 * is never applied to them.
 */
@Injectable()
export class MfaPolicy {
  readonly required: readonly Scope[];

  constructor(@InjectConfig() config: AppConfig) {
    this.required = mfaRequiredScopesOf(config);
  }

  /** Whether a token with these scopes needs a sign-in that passed the second factor. */
  needsSecondFactor(scopes: readonly Scope[]): boolean {
    return scopes.some((scope) => this.required.includes(scope));
  }

  /**
   * For an operator's token from a sign-in whose methods are `amr` (the authorization code
   * exchange passes its session's; the password grant passes `['pwd']`): the scopes it may
   * carry, and the ones withheld for want of the second factor.
   */
  decide(scopes: readonly Scope[], amr: readonly string[]): ScopeDecision {
    if (amr.includes(AMR_OTP)) return { granted: [...scopes], withheld: [] };
    return {
      granted: scopes.filter((scope) => !this.required.includes(scope)),
      withheld: scopes.filter((scope) => this.required.includes(scope)),
    };
  }
}
