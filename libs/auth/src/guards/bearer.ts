/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), if any. */
export function bearerTokenOf(headers: Record<string, unknown>): string | undefined {
  const value = headers.authorization;
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(value);
  return match?.[1];
}

export function hasAuthorizationHeader(headers: Record<string, unknown>): boolean {
  return typeof headers.authorization === 'string' && headers.authorization.length > 0;
}
