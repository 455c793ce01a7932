import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;

/**
 * A PRNG for `ulid` that draws from a pool of CSPRNG bytes. ulid's default asks the system
 * for one random byte per character (16 calls per id), which dominates bulk inserts.
 * Returns values in [0, 1) with 8 bits of resolution, enough for 32-symbol Crockford base32.
 */
export function pooledRandom(): () => number {
  let pool = Buffer.alloc(0);
  let next = 0;
  return () => {
    if (next >= pool.length) {
      pool = randomBytes(POOL_BYTES);
      next = 0;
    }
    return pool[next++] / 256;
  };
}
