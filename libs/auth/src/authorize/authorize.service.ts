import { isScope, type Scope } from '@orderops/access';
import { Injectable } from '@nestjs/common';
import { AuditService } from '@orderops/audit';
import { InjectConfig, type AppConfig } from '@orderops/core';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { OAuthError } from '../auth.errors.js';
import { ClientsService } from '../clients/clients.service.js';
import { grantScopes } from '../oauth/grant-scopes.js';
import { OperatorsService } from '../operators/operators.service.js';
import type { SessionEntity } from '../sessions/session.entity.js';
import { hashSecret, newSecret, SessionsService, type StartedSession } from '../sessions/sessions.service.js';
import { AuthorizationCodesRepository } from './authorization-codes.repository.js';
import {
  checkAuthorizationRequest,
  withResponseParams,
  type AuthorizationCheck,
  type CheckedAuthorization,
} from './authorization-request.js';

/** RFC 9700 §4.2.1 / issue 13: codes live at most a minute. */
export const AUTHORIZATION_CODE_SECONDS = 60;

/** The one answer to every failed sign-in: it never says whether the account exists. */
export const SIGN_IN_FAILED = 'The username or password is not correct, or this account cannot sign in now.';
export const SIGN_IN_FORM_EXPIRED = 'This sign-in form has expired. Sign in again.';

export type AuthorizeOutcome =
  | { readonly kind: 'page'; readonly status: number; readonly message: string }
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'sign-in'; readonly request: CheckedAuthorization }
  /** A third-party client: the operator decides on the scopes first (POST /oauth/consent). */
  | { readonly kind: 'consent'; readonly request: CheckedAuthorization; readonly scopes: readonly Scope[] };

export type SignInOutcome =
  | AuthorizeOutcome
  | {
      readonly kind: 'sign-in-again';
      readonly request: CheckedAuthorization;
      readonly status: number;
      readonly error: string;
    }
  | { readonly kind: 'signed-in'; readonly location: string; readonly started: StartedSession };

export interface SignInForm {
  readonly authorization: string | undefined;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly csrfToken: string | undefined;
}

/**
 * GET /oauth/authorize and the sign-in form behind it (issue 13 §1-2). The request is
 * checked first (client, redirect URI, then the rest, RFC 6749 §4.1.2.1); a browser without
 * a live session signs in, and the request is then replayed from the top.
 */
@Injectable()
export class AuthorizeService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clients: ClientsService,
    private readonly operators: OperatorsService,
    private readonly sessions: SessionsService,
    private readonly codes: AuthorizationCodesRepository,
    @InjectConfig() private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  private check(raw: unknown): Promise<AuthorizationCheck> {
    return checkAuthorizationRequest(raw, (clientId) => this.clients.find(clientId));
  }

  /** Every authorization response names this server (RFC 9207). */
  private redirect(redirectUri: string, params: Record<string, string | undefined>): AuthorizeOutcome {
    return {
      kind: 'redirect',
      location: withResponseParams(redirectUri, { ...params, iss: this.config.auth.issuer }),
    };
  }

  private fromCheck(check: Exclude<AuthorizationCheck, { kind: 'ok' }>): AuthorizeOutcome {
    if (check.kind === 'page') return { kind: 'page', status: 400, message: check.message };
    return this.redirect(check.redirectUri, {
      error: check.error,
      error_description: check.description,
      state: check.state,
    });
  }

  async authorize(query: unknown, sessionSecret: string | undefined): Promise<AuthorizeOutcome> {
    const check = await this.check(query);
    if (check.kind !== 'ok') return this.fromCheck(check);
    const session = await this.sessions.resume(sessionSecret);
    if (!session) return { kind: 'sign-in', request: check.request };
    return this.issueCode(check.request, session, false);
  }

  /**
   * The operator's answer on the consent page. The CSRF token must be bound to this
   * browser's session. Allowing issues the code; denying sends `access_denied` back. Both are
   * audited (`auth.consent.granted` / `auth.consent.denied`: client and scopes). Consent is
   * asked on every authorization of a third-party client: none is remembered.
   */
  async consent(
    authorization: string | undefined,
    decision: string | undefined,
    csrfToken: string | undefined,
    sessionSecret: string | undefined,
  ): Promise<AuthorizeOutcome> {
    const check = await this.check(Object.fromEntries(new URLSearchParams(authorization ?? '')));
    if (check.kind !== 'ok') return this.fromCheck(check);
    const { request } = check;
    const session = await this.sessions.resume(sessionSecret);
    if (!session || sessionSecret === undefined) return { kind: 'sign-in', request };
    if (!this.sessions.csrfTokenMatches(sessionSecret, csrfToken, 'consent')) {
      return {
        kind: 'page',
        status: 403,
        message: 'This consent form has expired. Start again from the application.',
      };
    }
    if (decision !== 'allow' && decision !== 'deny') {
      return { kind: 'page', status: 400, message: 'Choose Allow or Deny.' };
    }
    if (decision === 'allow') return this.issueCode(request, session, true);
    await this.dataSource.transaction((manager) =>
      this.audit.record(manager, {
        action: 'auth.consent.denied',
        actor: { type: 'operator', id: session.operatorId },
        target: { type: 'client', id: request.client.clientId },
        details: { sessionId: session.id },
      }),
    );
    return this.redirect(request.redirectUri, {
      error: 'access_denied',
      error_description: 'The operator denied the request.',
      state: request.state,
    });
  }

  /**
   * The code for a live session of an enabled operator, carrying the requested scopes
   * narrowed to what client and operator hold (none left: `invalid_scope` to the client).
   * First-party clients skip consent; third-party ones were refused by the check.
   */
  private async issueCode(
    request: CheckedAuthorization,
    session: SessionEntity,
    consented: boolean,
  ): Promise<AuthorizeOutcome> {
    const operator = await this.operators.find(session.operatorId);
    if (!operator || operator.disabledAt !== null) return { kind: 'sign-in', request };
    let scopes: string[];
    try {
      scopes = grantScopes(request.scope, operator.scopes, request.client.scopes);
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      return this.redirect(request.redirectUri, {
        error: 'invalid_scope',
        error_description: 'The requested scope is invalid or not allowed.',
        state: request.state,
      });
    }
    if (!request.client.firstParty && !consented) {
      return { kind: 'consent', request, scopes: scopes.filter(isScope) };
    }
    const code = newSecret();
    await this.dataSource.transaction(async (manager) => {
      if (consented) {
        await this.audit.record(manager, {
          action: 'auth.consent.granted',
          actor: { type: 'operator', id: operator.id },
          target: { type: 'client', id: request.client.clientId },
          details: { scopes: [...scopes], sessionId: session.id },
        });
      }
      await this.codes.create(
        {
          codeHash: hashSecret(code),
          clientId: request.client.clientId,
          operatorId: operator.id,
          sessionId: session.id,
          redirectUri: request.redirectUri,
          redirectUriInRequest: request.redirectUriInRequest,
          codeChallenge: request.codeChallenge,
          scopes: [...scopes],
          openid: request.openid,
          nonce: request.nonce ?? null,
          expiresAt: new Date(Date.now() + AUTHORIZATION_CODE_SECONDS * 1000),
        },
        manager,
      );
    });
    return this.redirect(request.redirectUri, { code, state: request.state });
  }

  /**
   * The sign-in form's submission. The CSRF token must be the one bound to this browser's
   * pre-session, or nothing is checked (and nothing counts towards a lock). The password is
   * checked by the same code as the password grant (OperatorsService.authenticate: lockout,
   * slow-down, audit of failures), and the answer to any failure is the same text. A new
   * session is started (a new secret; the browser's previous session is revoked), and the
   * authorization request is replayed.
   */
  async signIn(
    form: SignInForm,
    preSession: string | undefined,
    previousSession: string | undefined,
  ): Promise<SignInOutcome> {
    const check = await this.check(Object.fromEntries(new URLSearchParams(form.authorization ?? '')));
    if (check.kind !== 'ok') return this.fromCheck(check);
    const { request } = check;
    if (!this.sessions.csrfTokenMatches(preSession, form.csrfToken)) {
      return { kind: 'sign-in-again', request, status: 403, error: SIGN_IN_FORM_EXPIRED };
    }
    if (form.username === undefined || form.password === undefined) {
      return { kind: 'sign-in-again', request, status: 400, error: SIGN_IN_FAILED };
    }
    const login = await this.operators.authenticate(form.username, form.password);
    if (!login.ok) return { kind: 'sign-in-again', request, status: 400, error: SIGN_IN_FAILED };
    // The second factor plugs in here: an operator who must present one continues to that
    // step, and only then is the session started, with amr ['pwd', 'otp'].
    const started = await this.sessions.start(
      login.operator,
      ['pwd'],
      request.client.clientId,
      previousSession,
    );
    return { kind: 'signed-in', location: `/oauth/authorize?${request.query}`, started };
  }
}

/** RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))). */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}
