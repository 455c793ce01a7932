import type { AppConfig } from '@orderops/core';

/**
 * The browser cookies of sign-in. `__Host-` makes the browser refuse them unless they are
 * Secure, host-only and Path=/, so no sibling subdomain can plant or overwrite them. Plain
 * http is allowed for a loopback issuer in development and test only; browsers refuse a
 * `__Host-` cookie without Secure there, so those cookies go without the prefix.
 */
export interface CookieNames {
  readonly session: string;
  readonly preSession: string;
  readonly secure: boolean;
}

export function cookieNames(config: AppConfig): CookieNames {
  const secure = config.isProduction || config.auth.issuer.startsWith('https:');
  const prefix = secure ? '__Host-' : '';
  return { session: `${prefix}orderops_session`, preSession: `${prefix}orderops_presession`, secure };
}

/**
 * HttpOnly (no script reads it), SameSite=Lax (sent on the top-level navigation back from a
 * client, not on cross-site subrequests or POSTs), Path=/, no Domain. `maxAgeSeconds` 0
 * deletes it.
 */
export function setCookie(names: CookieNames, name: string, value: string, maxAgeSeconds: number): string {
  return [
    `${name}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    ...(names.secure ? ['Secure'] : []),
  ].join('; ');
}

/** Cookie values we set are base64url; anything else is treated as absent. */
const VALUE = /^[A-Za-z0-9_-]{43}$/;

/** The value of `name` in a Cookie header, if it is one of ours in shape; never throws. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  let found: string | undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    // Two cookies of one name (one planted with another path): trust neither.
    if (found !== undefined) return undefined;
    found = part.slice(eq + 1).trim();
  }
  return found !== undefined && VALUE.test(found) ? found : undefined;
}
