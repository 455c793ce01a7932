import type { Scope } from './scopes.js';

export type PrincipalType = 'operator' | 'client';

/** Who is calling, as established from a verified access token. No personal data. */
export interface Principal {
  readonly type: PrincipalType;
  /** Operator id (uuid) or client id. */
  readonly id: string;
  /** The OAuth client the token was issued to. */
  readonly clientId: string;
  readonly scopes: readonly Scope[];
  /** The access token's `jti`. */
  readonly tokenId: string;
}
