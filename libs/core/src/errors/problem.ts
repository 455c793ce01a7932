import { HttpException } from '@nestjs/common';
import { AppError, type ErrorRepresentation, type FieldProblem } from './app-error.js';
import { CoreErrorCode, DependencyUnavailableError, problemType } from './core.errors.js';
import { infrastructureFailureOf, type InfrastructureFailure } from './infrastructure-failure.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** An RFC 9457 problem document as OrderOps sends it. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  errors?: readonly FieldProblem[];
  [extension: string]: unknown;
}

export interface Problem {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: ProblemDocument;
  /** True when the error was not one we raised on purpose: log it in full, show nothing. */
  readonly unexpected: boolean;
  /** Set when the error's protocol defines its own body (sent instead of `body`). */
  readonly representation?: ErrorRepresentation;
  /** Set when a database, pool or network failure is behind the error: log it as an outage. */
  readonly failure?: InfrastructureFailure;
}

const BY_STATUS: Readonly<Record<number, { code: string; title: string; detail: string }>> = {
  400: {
    code: CoreErrorCode.BadRequest,
    title: 'Bad Request',
    detail: 'The request could not be understood.',
  },
  401: { code: CoreErrorCode.Unauthorized, title: 'Unauthorized', detail: 'Authentication is required.' },
  403: { code: CoreErrorCode.Forbidden, title: 'Forbidden', detail: 'The caller may not do this.' },
  404: { code: CoreErrorCode.NotFound, title: 'Not Found', detail: 'No resource matches this path.' },
  405: {
    code: CoreErrorCode.MethodNotAllowed,
    title: 'Method Not Allowed',
    detail: 'Method not supported here.',
  },
  406: {
    code: CoreErrorCode.NotAcceptable,
    title: 'Not Acceptable',
    detail: 'No acceptable representation.',
  },
  409: {
    code: CoreErrorCode.Conflict,
    title: 'Conflict',
    detail: 'The request conflicts with current state.',
  },
  410: { code: CoreErrorCode.Gone, title: 'Gone', detail: 'The resource is no longer available.' },
  413: {
    code: CoreErrorCode.PayloadTooLarge,
    title: 'Payload Too Large',
    detail: 'The request body exceeds the size limit.',
  },
  415: {
    code: CoreErrorCode.UnsupportedMediaType,
    title: 'Unsupported Media Type',
    detail: 'The request body has a content type this endpoint does not accept.',
  },
  429: {
    code: CoreErrorCode.RateLimited,
    title: 'Too Many Requests',
    detail: 'Too many requests; retry later.',
  },
  503: {
    code: CoreErrorCode.ServiceUnavailable,
    title: 'Service Unavailable',
    detail: 'The service cannot handle the request now.',
  },
};

const INTERNAL = {
  code: CoreErrorCode.Internal,
  title: 'Internal Server Error',
  detail: 'An unexpected error occurred. Quote the request id when reporting it.',
};

interface FrameworkError {
  statusCode: number;
  code?: string;
}

/** Errors raised by Fastify itself (body parsing, limits) carry a 4xx `statusCode`. */
function isFrameworkClientError(error: unknown): error is FrameworkError {
  if (typeof error !== 'object' || error === null) return false;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

function generic(status: number): { code: string; title: string; detail: string } {
  return BY_STATUS[status] ?? (status >= 500 ? INTERNAL : BY_STATUS[400]);
}

export interface ProblemContext {
  readonly requestId: string;
  /** The request's trace id when tracing is on: a 5xx body names it beside the request id. */
  readonly traceId?: string;
  /** The request path without its query string (queries may carry anything). */
  readonly path: string;
}

/**
 * Turns any thrown value into the problem document to send. Only AppErrors contribute their
 * own detail; framework and unknown errors get fixed text, so no input, SQL, stack or path
 * parameter is echoed back.
 */
export function toProblem(thrown: unknown, context: ProblemContext): Problem {
  const failure = infrastructureFailureOf(thrown);
  // Nest wraps Fastify's own 4xx errors (body parsing, limits) in an HttpException.
  // An outage that no code turned into an AppError is answered as one: 503, never 500 or 4xx.
  const error =
    thrown instanceof HttpException && isFrameworkClientError(thrown.cause)
      ? thrown.cause
      : failure !== undefined && !(thrown instanceof AppError)
        ? new DependencyUnavailableError(thrown)
        : thrown;
  let status: number;
  let code: string;
  let title: string;
  let detail: string;
  let headers: Readonly<Record<string, string>> = {};
  let errors: readonly FieldProblem[] | undefined;
  let extensions: Readonly<Record<string, unknown>> = {};
  let unexpected = false;

  if (error instanceof AppError) {
    ({ status, code, title, detail, headers, errors, extensions } = error);
  } else if (error instanceof HttpException) {
    status = error.getStatus();
    ({ code, title, detail } = generic(status));
    unexpected = status >= 500;
  } else if (isFrameworkClientError(error)) {
    status = error.statusCode;
    ({ code, title, detail } = generic(status));
    if (status === 400) {
      code = CoreErrorCode.MalformedBody;
      detail = 'The request body could not be parsed.';
    }
  } else {
    status = 500;
    ({ code, title, detail } = INTERNAL);
    unexpected = true;
  }
  if (status >= 500 && unexpected) ({ code, title, detail } = INTERNAL);

  return {
    status,
    headers,
    unexpected,
    failure,
    representation: error instanceof AppError ? error.representation : undefined,
    body: {
      ...extensions,
      type: problemType(code),
      title,
      status,
      detail,
      instance: context.path,
      requestId: context.requestId,
      ...(status >= 500 && context.traceId !== undefined ? { traceId: context.traceId } : {}),
      ...(errors ? { errors } : {}),
    },
  };
}
