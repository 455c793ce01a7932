import { isScope, type Scope } from '@orderops/access';
import { Injectable } from '@nestjs/common';
import { AuditService } from '@orderops/audit';
import { InjectConfig, type AppConfig } from '@orderops/core';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MfaNotPendingError, OAuthError } from '../auth.errors.js';
import { ClientsService } from '../clients/clients.service.js';
import { MfaPolicy } from '../mfa/mfa-policy.js';
import { MfaService, type MfaCheck } from '../mfa/mfa.service.js';
import { grantScopes } from '../oauth/grant-scopes.js';
import { OperatorsService } from '../operators/operators.service.js';
import type { SessionEntity } from '../sessions/session.entity.js';
import { hashSecret, newSecret, SessionsService, type StartedSession } from '../sessions/sessions.service.js';
import type { SignInStage } from '../sessions/sign-in-step.entity.js';
import { SignInStepsRepository } from '../sessions/sign-in-steps.repository.js';
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
/** One answer for a wrong, replayed or spent code: it never says which. */
export const CODE_WRONG = 'That code is not correct. Try again with a new code.';
export const CODE_LOCKED = 'Too many wrong codes. Wait a few minutes, then sign in again.';
export const CODE_MISSING = 'Enter the code from your authenticator app, or a recovery code.';

/**
 * How long a passed password waits for its second factor: a code is typed in seconds; setting
 * up an authenticator app (scan, confirm) takes longer.
 */
export const SIGN_IN_STEP_SECONDS: Record<SignInStage, number> = { verify: 5 * 60, enrol: 10 * 60 };

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
  | { readonly kind: 'signed-in'; readonly location: string; readonly started: StartedSession }
  /** The password passed; the second factor is next (a code, or enrolment first). */
  | {
      readonly kind: 'second-factor';
      readonly request: CheckedAuthorization;
      readonly stage: SignInStage;
      readonly status: number;
      readonly error?: string;
      /** Only on the first enrolment page: shown once. */
      readonly enrolment?: { readonly secret: string; readonly qrCodeSvg: string };
      /** A new pre-session cookie value, when the password step just passed (see signIn). */
      readonly newPreSession?: string;
    }
  /** Enrolment confirmed and the session started: the recovery codes are shown once, then the flow goes on. */
  | {
      readonly kind: 'enrolled';
      readonly location: string;
      readonly started: StartedSession;
      readonly recoveryCodes: readonly string[];
    };

export interface SignInForm {
  readonly authorization: string | undefined;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly csrfToken: string | undefined;
}

export interface SecondFactorForm {
  readonly authorization: string | undefined;
  readonly code: string | undefined;
  readonly recoveryCode: string | undefined;
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
    private readonly mfa: MfaService,
    private readonly mfaPolicy: MfaPolicy,
    private readonly steps: SignInStepsRepository,
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
    const stage = await this.secondFactorStage(login.operator, request);
    if (stage !== undefined && preSession !== undefined) {
      // The session waits for the factor. What passed is kept server-side, keyed by a new
      // pre-session (so a pre-session value known before the password is worth nothing
      // after it): no password, minutes long, spent by the one success.
      const newPreSession = newSecret();
      const enrolment =
        stage === 'enrol'
          ? await this.mfa.beginEnrolment(login.operator.id, { type: 'operator', id: login.operator.id })
          : undefined;
      await this.steps.replace({
        preSessionHash: hashSecret(newPreSession),
        operatorId: login.operator.id,
        clientId: request.client.clientId,
        stage,
        expiresAt: new Date(Date.now() + SIGN_IN_STEP_SECONDS[stage] * 1000),
      });
      return {
        kind: 'second-factor',
        request,
        stage,
        status: 200,
        newPreSession,
        ...(enrolment ? { enrolment: { secret: enrolment.secret, qrCodeSvg: enrolment.qrCodeSvg } } : {}),
      };
    }
    const started = await this.sessions.start(
      login.operator,
      ['pwd'],
      request.client.clientId,
      previousSession,
    );
    return { kind: 'signed-in', location: `/oauth/authorize?${request.query}`, started };
  }

  /**
   * Which second-factor step a passed password leads to: the code for an operator whose
   * factor is active (always, whatever is asked: a factor once set up is always used);
   * enrolment for one without, when the request asks for a scope of
   * ORDEROPS_MFA_REQUIRED_SCOPES it could otherwise get; none otherwise (amr ['pwd']).
   */
  private async secondFactorStage(
    operator: { id: string; scopes: string[] },
    request: CheckedAuthorization,
  ): Promise<SignInStage | undefined> {
    if ((await this.mfa.status(operator.id)).state === 'active') return 'verify';
    let asked: Scope[];
    try {
      asked = grantScopes(request.scope, operator.scopes, request.client.scopes);
    } catch (error) {
      // Nothing grantable: the replayed request answers invalid_scope to the client as today.
      if (!(error instanceof OAuthError)) throw error;
      return undefined;
    }
    return this.mfaPolicy.needsSecondFactor(asked) ? 'enrol' : undefined;
  }

  /**
   * The second-factor form's submission (POST /oauth/sign-in/code). Its CSRF token is bound to
   * the pre-session, and the pre-session to a live, unspent step of this client; without one
   * (no password step, expired, already used, another browser) the answer is the sign-in
   * form, and no code is checked. Codes go through MfaService (replay refusal, lockout,
   * audit). A passed code spends the step and starts the session with amr ['pwd', 'otp'].
   */
  async secondFactor(
    form: SecondFactorForm,
    preSession: string | undefined,
    previousSession: string | undefined,
  ): Promise<SignInOutcome> {
    const check = await this.check(Object.fromEntries(new URLSearchParams(form.authorization ?? '')));
    if (check.kind !== 'ok') return this.fromCheck(check);
    const { request } = check;
    const expired = { kind: 'sign-in-again', request, status: 403, error: SIGN_IN_FORM_EXPIRED } as const;
    if (
      preSession === undefined ||
      !this.sessions.csrfTokenMatches(preSession, form.csrfToken, 'second-factor')
    ) {
      return expired;
    }
    const step = await this.steps.findLive(hashSecret(preSession));
    if (!step || step.clientId !== request.client.clientId) return expired;
    const operator = await this.operators.find(step.operatorId);
    if (!operator || operator.disabledAt !== null) {
      return { kind: 'sign-in-again', request, status: 400, error: SIGN_IN_FAILED };
    }
    const again = (status: number, error: string): SignInOutcome => ({
      kind: 'second-factor',
      request,
      stage: step.stage,
      status,
      error,
    });
    const code = form.code?.trim() || undefined;
    const recoveryCode = form.recoveryCode?.trim() || undefined;
    // One of the two, never both: a form is one attempt.
    if ((code === undefined) === (recoveryCode === undefined)) return again(400, CODE_MISSING);
    if (step.stage === 'enrol' && recoveryCode !== undefined) return again(400, CODE_MISSING);

    let result: MfaCheck;
    let recoveryCodes: string[] | undefined;
    if (step.stage === 'enrol') {
      try {
        const confirmed = await this.mfa.confirmEnrolment(operator.id, code!, {
          type: 'operator',
          id: operator.id,
        });
        result = confirmed.ok ? { ok: true, amr: confirmed.amr } : confirmed;
        if (confirmed.ok) recoveryCodes = confirmed.recoveryCodes;
      } catch (error) {
        // The enrolment was confirmed or reset elsewhere meanwhile: start over.
        if (!(error instanceof MfaNotPendingError)) throw error;
        return expired;
      }
    } else if (recoveryCode !== undefined) {
      result = await this.mfa.useRecoveryCode(operator.id, recoveryCode);
    } else {
      result = await this.mfa.verify(operator.id, code!);
    }
    if (!result.ok) {
      if (result.reason === 'locked') return again(429, CODE_LOCKED);
      // Reset by an admin since the password step: this step no longer leads anywhere.
      if (result.reason === 'not_enrolled') return expired;
      return again(400, CODE_WRONG);
    }
    // Only the first success continues: a step is never worth a second session.
    if (!(await this.steps.spend(step.id))) return expired;
    const started = await this.sessions.start(
      operator,
      ['pwd', result.amr],
      request.client.clientId,
      previousSession,
    );
    const location = `/oauth/authorize?${request.query}`;
    if (recoveryCodes) return { kind: 'enrolled', location, started, recoveryCodes };
    return { kind: 'signed-in', location, started };
  }
}

/** RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))). */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}
