import type { KeyObject } from 'node:crypto';

/**
 * Who signs tree heads: the app binds it to the token-signing keys (auth provides it), so a
 * head verifies with the same JWKS as tokens. Abstract here because audit may not depend on
 * auth.
 */
export abstract class TreeHeadSigner {
  abstract currentSigner(): { kid: string; privateKey: KeyObject };
}
