import { OAuthError } from '../auth.errors.js';

const FORM = 'application/x-www-form-urlencoded';

/**
 * The parameters of an OAuth endpoint request: form-encoded only (RFC 6749 §3.2), each at
 * most once (§3.1: "Request and response parameters MUST NOT be included more than once").
 */
export class OAuthParams {
  private constructor(private readonly values: ReadonlyMap<string, string>) {}

  static from(contentType: string | undefined, body: unknown): OAuthParams {
    const mediaType = (contentType ?? '').split(';', 1)[0].trim().toLowerCase();
    if (mediaType !== FORM) {
      throw new OAuthError('invalid_request', 'Send parameters as application/x-www-form-urlencoded.');
    }
    const values = new Map<string, string>();
    if (body !== undefined && body !== null) {
      if (typeof body !== 'object') throw new OAuthError('invalid_request', 'Malformed parameters.');
      for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
        if (Array.isArray(value))
          throw new OAuthError('invalid_request', `Parameter ${safeName(name)} is repeated.`);
        if (typeof value !== 'string') throw new OAuthError('invalid_request', 'Malformed parameters.');
        // Empty parameters are treated as omitted (RFC 6749 §3.1).
        if (value !== '') values.set(name, value);
      }
    }
    return new OAuthParams(values);
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  require(name: string): string {
    const value = this.values.get(name);
    if (value === undefined) throw new OAuthError('invalid_request', `Missing parameter ${name}.`);
    return value;
  }
}

/** Parameter names are echoed only when they are plain identifiers. */
function safeName(name: string): string {
  return /^[a-z_]{1,32}$/.test(name) ? name : '(parameter)';
}
