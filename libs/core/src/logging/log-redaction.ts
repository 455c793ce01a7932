export const REDACTED = '[redacted]';

/**
 * Keys whose values are credentials wherever they appear (body fields, headers, nested
 * options): password, secret, token (access/refresh/id), authorization, cookies, API and
 * private keys. Matching anywhere in the key also catches `newPassword`, `client_secret`.
 */
const SENSITIVE_KEY =
  /pass(word|wd|phrase)|secret|token|authori[sz]ation|cookie|api[-_]?key|private[-_]?key/i;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

const MAX_DEPTH = 8;

/** A copy of a log object with every sensitive key's value replaced, at any depth. */
export function redactSensitiveKeys(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((item) => redactSensitiveKeys(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSensitiveKey(key) ? REDACTED : redactSensitiveKeys(item, depth + 1);
  }
  return out;
}
