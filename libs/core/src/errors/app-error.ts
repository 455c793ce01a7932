import type { FieldCode } from './field-codes.js';

/** One field-level problem, as listed in a problem document's `errors[]`. */
export interface FieldProblem {
  readonly field: string;
  /** One of the closed set in field-codes.ts, so a client can branch on it. */
  readonly code: FieldCode;
  readonly message: string;
}

export interface AppErrorOptions {
  readonly detail?: string;
  readonly errors?: readonly FieldProblem[];
  /** Response headers the error implies (Allow, Retry-After, WWW-Authenticate). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Extra members of the problem document; never submitted values or personal data. */
  readonly extensions?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
  /**
   * A different wire format for protocols that define their own error bodies (OAuth 2.0,
   * RFC 6749 §5.2). Sent as is, with the status and headers above, instead of problem+json.
   */
  readonly representation?: ErrorRepresentation;
}

export interface ErrorRepresentation {
  readonly contentType: string;
  readonly body: Readonly<Record<string, unknown>>;
}

/**
 * The base of every error a lib raises on purpose. Each lib declares its codes in its own
 * `*.errors.ts`; the global filter turns an AppError into RFC 9457 problem+json using
 * `code` (problem type), `status`, `title` and the safe `detail`.
 */
export class AppError extends Error {
  readonly detail: string;
  readonly errors?: readonly FieldProblem[];
  readonly headers: Readonly<Record<string, string>>;
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly representation?: ErrorRepresentation;

  constructor(
    readonly code: string,
    readonly status: number,
    readonly title: string,
    options: AppErrorOptions = {},
  ) {
    super(options.detail ?? title, { cause: options.cause });
    this.name = 'AppError';
    this.detail = options.detail ?? title;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
    this.representation = options.representation;
  }
}
