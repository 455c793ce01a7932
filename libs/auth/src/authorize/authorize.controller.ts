import { Public } from '@orderops/access';
import { Body, Controller, Get, Headers, Post, Query, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import {
  AppError,
  InjectConfig,
  isInfrastructureFailure,
  RETRY_AFTER_SECONDS,
  ServiceUnavailableError,
  StrictRateLimit,
  type AppConfig,
} from '@orderops/core';
import type { FastifyReply } from 'fastify';
import { cookieNames, readCookie, setCookie, type CookieNames } from '../sessions/session-cookies.js';
import { newSecret, PRE_SESSION_SECONDS, SessionsService } from '../sessions/sessions.service.js';
import type { CheckedAuthorization } from './authorization-request.js';
import { AuthorizeService, type AuthorizeOutcome, type SignInOutcome } from './authorize.service.js';
import { ClientsService } from '../clients/clients.service.js';
import { AccessTokensService } from '../tokens/access-tokens.service.js';
import { afterLogout, checkLogoutRequest, type LogoutCheck } from './logout-request.js';
import { SCOPE_DESCRIPTIONS } from '@orderops/access';
import {
  consentPage,
  enrolmentPage,
  errorPage,
  logoutPage,
  recoveryCodesPage,
  secondFactorPage,
  signedOutPage,
  signInPage,
  type Page,
} from './pages.js';

/** A form field as one string, or undefined (absent, repeated or not text). */
function field(body: unknown, name: string): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The browser side of sign-in: GET /oauth/authorize (RFC 6749 §4.1.1) and the sign-in form
 * it shows without a session, POST /oauth/sign-in. Answers are HTML pages or redirects, not
 * problem documents: a person reads them. Excluded from the OpenAPI document, which lists
 * API calls (the metadata names the endpoint).
 */
@ApiTags('oauth')
@Public()
@Controller('oauth')
export class AuthorizeController {
  private readonly cookies: CookieNames;

  constructor(
    private readonly authorizeService: AuthorizeService,
    private readonly sessions: SessionsService,
    private readonly clients: ClientsService,
    private readonly accessTokens: AccessTokensService,
    @InjectConfig() config: AppConfig,
  ) {
    this.cookies = cookieNames(config);
  }

  @Get('authorize')
  @ApiExcludeEndpoint()
  async authorize(
    @Query() query: unknown,
    @Headers('cookie') cookie: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.answer(reply, async () => {
      const outcome = await this.authorizeService.authorize(query, readCookie(cookie, this.cookies.session));
      return this.render(reply, outcome, cookie);
    });
  }

  @Post('sign-in')
  @ApiExcludeEndpoint()
  // Per client address, on top of the per-account lockout: the same limits as the password grant.
  @StrictRateLimit()
  async signIn(
    @Body() body: unknown,
    @Headers('cookie') cookie: string | undefined,
    @Headers('content-type') contentType: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.answer(reply, async () => {
      // What an HTML form sends, nothing else: a script's JSON post is not a sign-in.
      if ((contentType ?? '').split(';', 1)[0].trim().toLowerCase() !== 'application/x-www-form-urlencoded') {
        return this.page(reply, errorPage(415, 'Sign in with the form on the sign-in page.'));
      }
      const outcome: SignInOutcome = await this.authorizeService.signIn(
        {
          authorization: field(body, 'authorization'),
          username: field(body, 'username'),
          password: field(body, 'password'),
          csrfToken: field(body, 'csrf_token'),
        },
        readCookie(cookie, this.cookies.preSession),
        readCookie(cookie, this.cookies.session),
      );
      return this.afterSignInStep(reply, outcome, cookie);
    });
  }

  /**
   * The second factor after a passed password: the code (or a recovery code), or the first
   * code of a new enrolment. Rate-limited like the password: a code is a credential too, on
   * top of the factor's own lock.
   */
  @Post('sign-in/code')
  @ApiExcludeEndpoint()
  @StrictRateLimit()
  async signInCode(
    @Body() body: unknown,
    @Headers('cookie') cookie: string | undefined,
    @Headers('content-type') contentType: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.answer(reply, async () => {
      if ((contentType ?? '').split(';', 1)[0].trim().toLowerCase() !== 'application/x-www-form-urlencoded') {
        return this.page(reply, errorPage(415, 'Sign in with the form on the sign-in page.'));
      }
      const outcome = await this.authorizeService.secondFactor(
        {
          authorization: field(body, 'authorization'),
          code: field(body, 'code'),
          recoveryCode: field(body, 'recovery_code'),
          csrfToken: field(body, 'csrf_token'),
        },
        readCookie(cookie, this.cookies.preSession),
        readCookie(cookie, this.cookies.session),
      );
      return this.afterSignInStep(reply, outcome, cookie);
    });
  }

  private afterSignInStep(
    reply: FastifyReply,
    outcome: SignInOutcome,
    cookie: string | undefined,
  ): FastifyReply {
    if (outcome.kind === 'signed-in' || outcome.kind === 'enrolled') {
      // A new session secret, and the pre-session ends: nothing the browser held before
      // sign-in is worth anything after it.
      reply.header('set-cookie', [
        setCookie(
          this.cookies,
          this.cookies.session,
          outcome.started.secret,
          this.sessions.secondsLeft(outcome.started.session),
        ),
        setCookie(this.cookies, this.cookies.preSession, '', 0),
      ]);
      if (outcome.kind === 'enrolled') {
        return this.page(reply, recoveryCodesPage(outcome.recoveryCodes, outcome.location));
      }
      return reply.code(303).header('location', outcome.location).send();
    }
    if (outcome.kind === 'sign-in-again') {
      return this.signInForm(reply, outcome.request, cookie, outcome.status, outcome.error);
    }
    if (outcome.kind === 'second-factor') {
      // Right after the password: the step's new pre-session replaces the browser's. Later
      // answers: the browser holds it (the CSRF check needed it).
      let preSession = readCookie(cookie, this.cookies.preSession) ?? '';
      if (outcome.newPreSession !== undefined) {
        preSession = outcome.newPreSession;
        reply.header(
          'set-cookie',
          setCookie(this.cookies, this.cookies.preSession, preSession, PRE_SESSION_SECONDS),
        );
      }
      const form = {
        clientName: outcome.request.client.name,
        csrfToken: this.sessions.csrfToken(preSession, 'second-factor'),
        authorization: outcome.request.query,
        redirectOrigin: new URL(outcome.request.redirectUri).origin,
        error: outcome.error,
        status: outcome.status,
      };
      return this.page(
        reply,
        outcome.stage === 'verify'
          ? secondFactorPage(form)
          : enrolmentPage({ ...form, ...(outcome.enrolment ?? {}) }),
      );
    }
    return this.render(reply, outcome, cookie);
  }

  /** The consent page's answer (third-party clients only). */
  @Post('consent')
  @ApiExcludeEndpoint()
  async consent(
    @Body() body: unknown,
    @Headers('cookie') cookie: string | undefined,
    @Headers('content-type') contentType: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.answer(reply, async () => {
      if ((contentType ?? '').split(';', 1)[0].trim().toLowerCase() !== 'application/x-www-form-urlencoded') {
        return this.page(reply, errorPage(415, 'Answer with the form on the consent page.'));
      }
      const outcome = await this.authorizeService.consent(
        field(body, 'authorization'),
        field(body, 'decision'),
        field(body, 'csrf_token'),
        readCookie(cookie, this.cookies.session),
      );
      // After a form POST a redirect is a 303, so the browser follows it with GET.
      if (outcome.kind === 'redirect') return reply.code(303).header('location', outcome.location).send();
      return this.render(reply, outcome, cookie);
    });
  }

  /**
   * RP-initiated logout, step one: with a live session, a page that asks (a POST with a
   * CSRF token bound to the session); without one there is nothing to end.
   */
  @Get('logout')
  @ApiExcludeEndpoint()
  async logout(
    @Query() query: unknown,
    @Headers('cookie') cookie: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.answer(reply, async () => {
      const check = await this.checkLogout(query);
      if (check.kind === 'page') return this.page(reply, errorPage(400, check.message));
      const secret = readCookie(cookie, this.cookies.session);
      if (secret === undefined || !(await this.sessions.resume(secret)))
        return this.loggedOut(reply, check, 302);
      return this.page(
        reply,
        logoutPage({
          csrfToken: this.sessions.csrfToken(secret, 'logout'),
          clientId: check.clientId,
          postLogoutRedirectUri: check.postLogoutRedirectUri,
          state: check.state,
        }),
      );
    });
  }

  /**
   * Step two: ends the session (and the refresh tokens issued from it), clears the cookie and
   * returns to the client's registered post-logout URI, or says so on a page.
   */
  @Post('logout')
  @ApiExcludeEndpoint()
  async confirmLogout(
    @Body() body: unknown,
    @Headers('cookie') cookie: string | undefined,
    @Headers('content-type') contentType: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.answer(reply, async () => {
      if ((contentType ?? '').split(';', 1)[0].trim().toLowerCase() !== 'application/x-www-form-urlencoded') {
        return this.page(reply, errorPage(415, 'Sign out with the form on the sign-out page.'));
      }
      const check = await this.checkLogout(body);
      if (check.kind === 'page') return this.page(reply, errorPage(400, check.message));
      const secret = readCookie(cookie, this.cookies.session);
      if (secret === undefined) return this.loggedOut(reply, check, 303);
      if (!this.sessions.csrfTokenMatches(secret, field(body, 'csrf_token'), 'logout')) {
        return this.page(
          reply,
          errorPage(403, 'This sign-out form has expired. Start again from the application.'),
        );
      }
      await this.sessions.end(secret, check.clientId);
      reply.header('set-cookie', setCookie(this.cookies, this.cookies.session, '', 0));
      return this.loggedOut(reply, check, 303);
    });
  }

  private checkLogout(raw: unknown): Promise<LogoutCheck> {
    return checkLogoutRequest(
      raw,
      (id) => this.clients.find(id),
      (idToken) => this.accessTokens.verifyIdTokenHint(idToken),
    );
  }

  private loggedOut(reply: FastifyReply, check: Extract<LogoutCheck, { kind: 'ok' }>, status: 302 | 303) {
    const location = afterLogout(check);
    if (location === undefined) return this.page(reply, signedOutPage());
    return reply.code(status).header('location', location).send();
  }

  private render(reply: FastifyReply, outcome: AuthorizeOutcome, cookie: string | undefined): FastifyReply {
    switch (outcome.kind) {
      case 'redirect':
        return reply.code(302).header('location', outcome.location).send();
      case 'page':
        return this.page(reply, errorPage(outcome.status, outcome.message));
      case 'sign-in':
        return this.signInForm(reply, outcome.request, cookie, 200);
      case 'consent': {
        const secret = readCookie(cookie, this.cookies.session) ?? '';
        return this.page(
          reply,
          consentPage({
            clientName: outcome.request.client.name,
            scopes: outcome.scopes.map((name) => ({ name, description: SCOPE_DESCRIPTIONS[name] })),
            csrfToken: this.sessions.csrfToken(secret, 'consent'),
            authorization: outcome.request.query,
            redirectOrigin: new URL(outcome.request.redirectUri).origin,
          }),
        );
      }
    }
  }

  /** The form, bound to this browser's pre-session (a new one when it has none). */
  private signInForm(
    reply: FastifyReply,
    request: CheckedAuthorization,
    cookie: string | undefined,
    status: number,
    error?: string,
  ): FastifyReply {
    let preSession = readCookie(cookie, this.cookies.preSession);
    if (preSession === undefined) {
      preSession = newSecret();
      reply.header(
        'set-cookie',
        setCookie(this.cookies, this.cookies.preSession, preSession, PRE_SESSION_SECONDS),
      );
    }
    return this.page(
      reply,
      signInPage({
        clientName: request.client.name,
        csrfToken: this.sessions.csrfToken(preSession),
        authorization: request.query,
        redirectOrigin: new URL(request.redirectUri).origin,
        error,
        status,
      }),
    );
  }

  private page(reply: FastifyReply, page: Page): FastifyReply {
    return reply
      .code(page.status)
      .header('content-security-policy', page.csp)
      .header('cache-control', 'no-store')
      .header('x-frame-options', 'DENY')
      .type('text/html; charset=utf-8')
      .send(page.html);
  }

  /** An outage is a 503 page with Retry-After (our fault, never a 4xx); other errors go to the filter. */
  private async answer(reply: FastifyReply, handle: () => Promise<FastifyReply>): Promise<void> {
    try {
      await handle();
    } catch (error) {
      const outage =
        error instanceof ServiceUnavailableError ||
        (!(error instanceof AppError) && isInfrastructureFailure(error));
      if (!outage || reply.sent) throw error;
      this.page(
        reply.header('retry-after', String(RETRY_AFTER_SECONDS)),
        errorPage(503, 'Sign-in is unavailable for a moment. Try again shortly.'),
      );
    }
  }
}
