import {
  AppError,
  RETRY_AFTER_SECONDS,
  ServiceUnavailableError,
  isInfrastructureFailure,
  FieldCode,
} from '@orderops/core';

export const AuthErrorCode = {
  Unauthenticated: 'unauthenticated',
  InvalidToken: 'invalid-token',
  InsufficientScope: 'insufficient-scope',
  TokenInQuery: 'token-in-query',
  OperatorNotFound: 'operator-not-found',
  UsernameTaken: 'username-taken',
  WeakPassword: 'weak-password',
  ClientNotFound: 'client-not-found',
  ClientIdTaken: 'client-id-taken',
  ClientNameTaken: 'client-name-taken',
  BuiltInClient: 'built-in-client',
  PublicClientSecret: 'public-client-secret',
  WrongCurrentPassword: 'wrong-current-password',
  OperatorsOnly: 'operators-only',
  LastAdmin: 'last-admin',
  UndeclaredRoute: 'undeclared-route',
  MfaAlreadyEnrolled: 'mfa-already-enrolled',
  MfaNotPending: 'mfa-not-pending',
} as const;
export type AuthErrorCode = (typeof AuthErrorCode)[keyof typeof AuthErrorCode];

export const REALM = 'orderops';

/** RFC 6749 §5.2 error codes (plus RFC 7009's unsupported_token_type). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'unsupported_token_type'
  | 'temporarily_unavailable';

/**
 * An error of the OAuth endpoints, answered in RFC 6749 form (`error`, `error_description`)
 * rather than problem+json. Descriptions are fixed text: never the submitted values.
 */
export class OAuthError extends AppError {
  constructor(
    readonly oauthCode: OAuthErrorCode,
    description: string,
    status = oauthCode === 'invalid_client' ? 401 : 400,
    cause?: unknown,
    /** RFC 6749 §5.2: the Basic challenge answers a client that tried the Authorization header. */
    challenge = oauthCode === 'invalid_client',
  ) {
    super(`oauth-${oauthCode.replaceAll('_', '-')}`, status, 'OAuth error', {
      detail: description,
      cause,
      headers: {
        'Cache-Control': 'no-store',
        ...(challenge ? { 'WWW-Authenticate': `Basic realm="${REALM}"` } : {}),
        ...(status === 503 ? { 'Retry-After': String(RETRY_AFTER_SECONDS) } : {}),
      },
      representation: {
        contentType: 'application/json; charset=utf-8',
        body: { error: oauthCode, error_description: description },
      },
    });
  }
}

/**
 * Rethrows an outage met on an OAuth endpoint in RFC 6749 form: 503 `temporarily_unavailable`
 * with Retry-After, so a client neither drops its credentials nor sees a problem document.
 */
export function rethrowAsOAuthError(error: unknown): never {
  if (
    error instanceof ServiceUnavailableError ||
    (!(error instanceof AppError) && isInfrastructureFailure(error))
  ) {
    throw new OAuthError(
      'temporarily_unavailable',
      'The authorization server is temporarily unavailable; retry later.',
      503,
      error,
    );
  }
  throw error;
}

/** 401 for a request without a usable bearer token (RFC 6750 §3). */
export class UnauthenticatedError extends AppError {
  constructor(tokenPresented: boolean) {
    super(tokenPresented ? AuthErrorCode.InvalidToken : AuthErrorCode.Unauthenticated, 401, 'Unauthorized', {
      detail: tokenPresented
        ? 'The access token is invalid, expired or revoked.'
        : 'This endpoint requires a bearer access token.',
      headers: {
        'WWW-Authenticate': tokenPresented
          ? `Bearer realm="${REALM}", error="invalid_token", error_description="The access token is not valid"`
          : `Bearer realm="${REALM}"`,
      },
    });
  }
}

/** 403 for a valid token that lacks a scope the route needs (RFC 6750 §3.1). */
export class InsufficientScopeError extends AppError {
  constructor(required: readonly string[]) {
    super(AuthErrorCode.InsufficientScope, 403, 'Forbidden', {
      detail: `This endpoint requires the scope(s): ${required.join(' ')}.`,
      headers: {
        'WWW-Authenticate': `Bearer realm="${REALM}", error="insufficient_scope", scope="${required.join(' ')}"`,
      },
      extensions: { requiredScopes: required },
    });
  }
}

/** Tokens in URLs end up in logs and browser history (RFC 6750 §5.3): refused outright. */
export class TokenInQueryError extends AppError {
  constructor() {
    super(AuthErrorCode.TokenInQuery, 400, 'Bad Request', {
      detail: 'Access tokens are accepted only in the Authorization header.',
      headers: { 'WWW-Authenticate': `Bearer realm="${REALM}", error="invalid_request"` },
    });
  }
}

export class OperatorNotFoundError extends AppError {
  constructor() {
    super(AuthErrorCode.OperatorNotFound, 404, 'Not Found', { detail: 'No operator has this id.' });
  }
}

export class UsernameTakenError extends AppError {
  constructor() {
    super(AuthErrorCode.UsernameTaken, 409, 'Conflict', { detail: 'An operator with this username exists.' });
  }
}

export class WeakPasswordError extends AppError {
  constructor(reason: string, field = 'password') {
    super(AuthErrorCode.WeakPassword, 400, 'Validation failed', {
      detail: 'The password does not meet the policy.',
      errors: [{ field, code: FieldCode.WeakPassword, message: reason }],
    });
  }
}

export class ClientNotFoundError extends AppError {
  constructor() {
    super(AuthErrorCode.ClientNotFound, 404, 'Not Found', { detail: 'No client has this id.' });
  }
}

export class ClientIdTakenError extends AppError {
  constructor() {
    super(AuthErrorCode.ClientIdTaken, 409, 'Conflict', { detail: 'A client with this id exists.' });
  }
}

/** Names identify clients to people (lists, audit, support): one client per name. */
export class ClientNameTakenError extends AppError {
  constructor() {
    super(AuthErrorCode.ClientNameTaken, 409, 'Conflict', {
      detail:
        'Another client already has this name (names are compared without case or surrounding spaces); choose another.',
      errors: [
        { field: 'name', code: FieldCode.AlreadyUsed, message: 'name is already used by another client' },
      ],
    });
  }
}

export class BuiltInClientError extends AppError {
  constructor() {
    super(AuthErrorCode.BuiltInClient, 409, 'Conflict', { detail: 'Built-in clients cannot be deleted.' });
  }
}

/** The built-in apps' flows are the product's, their redirect URIs the configuration's. */
export class BuiltInRedirectsError extends AppError {
  constructor() {
    super(AuthErrorCode.BuiltInClient, 409, 'Conflict', {
      detail:
        'The grant types, token endpoint method and redirect URIs of built-in clients are fixed or configured ' +
        '(ORDEROPS_WEB_REDIRECT_URIS), not set through the API.',
    });
  }
}

/**
 * The same answer for a wrong current password and a locked address (as at sign-in), so the
 * answer never says which it was.
 */
export class WrongCurrentPasswordError extends AppError {
  constructor() {
    super(AuthErrorCode.WrongCurrentPassword, 400, 'Validation failed', {
      detail: 'The current password is not correct; the password was not changed.',
      errors: [
        { field: 'currentPassword', code: FieldCode.Incorrect, message: 'currentPassword is not correct' },
      ],
    });
  }
}

/** Routes about the calling operator's own account: a client token has no such account. */
export class OperatorsOnlyError extends AppError {
  constructor() {
    super(AuthErrorCode.OperatorsOnly, 403, 'Forbidden', {
      detail: 'Only an operator can change its own password; client tokens cannot.',
    });
  }
}

/** Public clients (the built-in apps among them) authenticate without a secret: none to rotate. */
export class PublicClientSecretError extends AppError {
  constructor() {
    super(AuthErrorCode.PublicClientSecret, 409, 'Conflict', {
      detail:
        'This client is public and has no secret; only confidential (partner) clients have a secret to rotate.',
    });
  }
}

/**
 * Refused so the service always keeps someone who can manage it: without an enabled operator
 * holding `admin`, only direct database access could create or re-enable one.
 */
export class LastAdminError extends AppError {
  constructor() {
    super(AuthErrorCode.LastAdmin, 409, 'Conflict', {
      detail:
        'This is the last enabled operator with the admin scope: it cannot be disabled or lose admin. ' +
        'Give another operator the admin scope first.',
    });
  }
}

/** A token refused on its own merits (shape, signature, claims, standing): a 401, never a 503. */
export class TokenRejectedError extends Error {
  override readonly name = 'TokenRejectedError';
}

/** A route that declares neither @Public() nor @RequireScopes(): a mistake, never open. */
export class UndeclaredRouteError extends AppError {
  constructor() {
    super(AuthErrorCode.UndeclaredRoute, 403, 'Forbidden', {
      detail: 'This route has no access declaration.',
    });
  }
}

/** A confirmed second factor is replaced only after an admin reset, never by a new enrolment. */
export class MfaAlreadyEnrolledError extends AppError {
  constructor() {
    super(AuthErrorCode.MfaAlreadyEnrolled, 409, 'Conflict', {
      detail:
        'This operator already has a confirmed second factor. An admin resets it (DELETE /admin/operators/{id}/mfa) before a new enrolment.',
    });
  }
}

/** Confirming needs an enrolment begun and not yet confirmed. */
export class MfaNotPendingError extends AppError {
  constructor() {
    super(AuthErrorCode.MfaNotPending, 409, 'Conflict', {
      detail: 'There is no pending second-factor enrolment to confirm; begin the enrolment first.',
    });
  }
}
