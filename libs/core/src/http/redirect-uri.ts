/**
 * The redirect URI rule shared by configuration (ORDEROPS_WEB_REDIRECT_URIS) and client
 * registration (RFC 6749 §3.1.2, RFC 9700 §2.1, RFC 8252 §7.3): authorization codes are sent
 * to these addresses, so only exact, absolute, fragment-free URIs are accepted, https or
 * plain http to this machine's loopback interface.
 */

/** Longest redirect URI accepted; browsers and proxies cut longer query strings. */
export const REDIRECT_URI_MAX_LENGTH = 2000;

/**
 * Hosts only this machine reaches. Names under .localhost are left out: not every resolver
 * maps them to loopback. The URL has already normalised the host (lower case, dotted IPv4,
 * IPv6 in brackets).
 */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * Why `value` cannot be a redirect URI, or undefined when it can. The text names the rule,
 * never the value. A URI must be written as URL parsing prints it (lower-case scheme and
 * host, a path of at least `/`), so the exact string comparison at /oauth/authorize has
 * only one spelling to compare against; no wildcards.
 */
export function redirectUriViolation(value: string): string | undefined {
  if (value.length === 0 || value.length > REDIRECT_URI_MAX_LENGTH) {
    return `must be 1-${REDIRECT_URI_MAX_LENGTH} characters`;
  }
  if (value.includes('#')) return 'must not contain a fragment (#)';
  // URL parsing accepts `*` in a host or path; matching is exact, so a "wildcard" would only
  // ever match itself: refused, so nobody registers one believing it matches more.
  if (value.includes('*')) return 'must not contain a wildcard (*): register each URI exactly';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URI';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https URI';
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return 'must be https unless its host is localhost, 127.0.0.1 or [::1]';
  }
  if (url.username !== '' || url.password !== '') return 'must not carry user information';
  if (url.href !== value) return `must be written in canonical form (${canonicalHint(url)})`;
  return undefined;
}

/** The shape of the canonical form without echoing the caller's value. */
function canonicalHint(url: URL): string {
  return url.pathname === '/' && url.search === ''
    ? 'lower-case scheme and host, a path of at least /'
    : 'lower-case scheme and host, no default port, no escapes URL parsing would change';
}

/**
 * True when `presented` may stand for the registered loopback URI `registered` (RFC 8252
 * §7.3): both plain http to a loopback host, equal in everything but the port, which a
 * native app picks at run time. Either string must already pass redirectUriViolation.
 */
export function matchesLoopbackRedirect(registered: string, presented: string): boolean {
  if (redirectUriViolation(presented) !== undefined) return false;
  const a = new URL(registered);
  const b = new URL(presented);
  if (a.protocol !== 'http:' || b.protocol !== 'http:' || !isLoopbackHost(a.hostname)) return false;
  a.port = '';
  b.port = '';
  return a.href === b.href;
}
