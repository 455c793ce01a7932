import { Injectable } from '@nestjs/common';
import { Metrics } from '@orderops/core';
import type { OAuthErrorCode } from './auth.errors.js';

export const TOKEN_GRANTS = [
  'authorization_code',
  'password',
  'client_credentials',
  'refresh_token',
] as const;
export type TokenGrant = (typeof TOKEN_GRANTS)[number];

const OAUTH_ERROR_CODES: readonly OAuthErrorCode[] = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'unsupported_token_type',
  'temporarily_unavailable',
];

/** Why a sign-in was refused; the caller is told none of this. */
export const LOGIN_FAILURES = ['unknown_user', 'bad_password', 'locked', 'disabled'] as const;
export type LoginFailure = (typeof LOGIN_FAILURES)[number];

/**
 * Auth's counters. Every label is one of the fixed sets above: never a username, a client
 * id or anything else the caller sent.
 */
@Injectable()
export class AuthMetrics {
  readonly tokenIssued: (grant: TokenGrant) => void;
  readonly tokenRefused: (code: OAuthErrorCode) => void;
  readonly loginFailed: (reason: LoginFailure) => void;
  readonly lockout: () => void;
  /** Time a password hash or check waited for one of the hashing slots (0 when one was free). */
  readonly hashWaited: (seconds: number) => void;
  private readonly metrics: Metrics;

  constructor(metrics: Metrics) {
    this.metrics = metrics;
    this.tokenIssued = metrics.closedCounter(
      'orderops_auth_tokens_issued_total',
      'Access tokens issued by POST /oauth/token, by grant type.',
      'grant',
      TOKEN_GRANTS,
    );
    this.tokenRefused = metrics.closedCounter(
      'orderops_auth_token_failures_total',
      'Token requests refused, by OAuth error code.',
      'reason',
      OAUTH_ERROR_CODES,
    );
    this.loginFailed = metrics.closedCounter(
      'orderops_auth_login_failures_total',
      'Refused sign-ins (password checks), by reason.',
      'reason',
      LOGIN_FAILURES,
    );
    const locked = metrics.counter(
      'orderops_auth_lockouts_total',
      'Sign-in locks set on an (account, client address) after repeated failures.',
    );
    this.lockout = () => locked();
    this.hashWaited = metrics.histogram(
      'orderops_auth_password_hash_wait_seconds',
      'Wait for an argon2id hashing slot before a password hash or check ran.',
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    );
  }

  /** The hashing queue's depth, read at scrape time from the hasher that owns it. */
  watchHashQueue(depth: () => number): void {
    this.metrics.gauge(
      'orderops_auth_password_hash_queue_depth',
      'Password hashes and checks waiting for an argon2id hashing slot.',
      depth,
    );
  }
}
