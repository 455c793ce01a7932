/**
 * The authenticated principal's id for the request log line. The auth guard records it;
 * core only reads it, so core needs to know nothing about authentication.
 */
const principals = new WeakMap<object, string>();

export function recordRequestPrincipal(request: object, principalId: string): void {
  principals.set(request, principalId);
}

export function requestPrincipalOf(request: object): string | undefined {
  return principals.get(request);
}
