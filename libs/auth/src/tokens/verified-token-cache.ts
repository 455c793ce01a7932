import type { JwtHeader } from 'jsonwebtoken';

/** What a passed signature, issuer, audience and lifetime check established about one token. */
export interface VerifiedToken {
  readonly header: Readonly<JwtHeader & Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
}

interface Entry extends VerifiedToken {
  readonly expiresAtMs: number;
}

/** Enough for every token in use by a busy replica; at most a few MB of token strings. */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/**
 * Remembers signature verification by the exact token string (an ES256 verify costs
 * ~90 us, a tenth of an authenticated read here). Only the signature and the token's own
 * claims are remembered: an entry ends at the token's `exp` (no clock leeway), any other
 * byte string misses, and revocation and the subject's standing are checked every request
 * by the caller. Oldest entries leave first once the cache is full.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries = VERIFIED_TOKEN_CACHE_SIZE,
    private readonly now: () => number = () => Date.now(),
  ) {}

  get(token: string): VerifiedToken | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (this.now() >= entry.expiresAtMs) {
      this.entries.delete(token);
      return undefined;
    }
    return entry;
  }

  /** Call only after the token passed full verification. Tokens without `exp` are not kept. */
  remember(token: string, verified: VerifiedToken): void {
    const { exp } = verified.payload;
    if (typeof exp !== 'number' || exp * 1000 <= this.now()) return;
    if (!this.entries.has(token) && this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, {
      header: Object.freeze({ ...verified.header }),
      payload: Object.freeze({ ...verified.payload }),
      expiresAtMs: exp * 1000,
    });
  }

  get size(): number {
    return this.entries.size;
  }
}
