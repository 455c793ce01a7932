import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;

/** Where fresh CSPRNG bytes come from: `crypto.randomBytes`, or a pool for bulk work. */
export type RandomBytes = (size: number) => Buffer;

/**
 * CSPRNG bytes drawn from one buffer refilled `POOL_BYTES` at a time. Asking the system for
 * a few bytes costs microseconds per call, which dominates bulk work that needs an IV per
 * field and a data key per customer; drawing from a pool costs a copy. Bytes handed out are
 * zeroed in the pool, so key material taken from it lives only in the caller's buffer.
 */
export class RandomPool {
  private pool = Buffer.alloc(0);
  private next = 0;

  /** `size` fresh random bytes, as a buffer of their own. */
  readonly take: RandomBytes = (size) => {
    if (size > POOL_BYTES) return randomBytes(size);
    this.ensure(size);
    // Not Buffer.from: small buffers share Node's slab, and a data key should not.
    const bytes = Buffer.allocUnsafeSlow(size);
    this.pool.copy(bytes, 0, this.next, this.next + size);
    this.pool.fill(0, this.next, this.next + size);
    this.next += size;
    return bytes;
  };

  /** One byte as a number in [0, 1) with 8 bits of resolution (no buffer per call). */
  readonly unit = (): number => {
    this.ensure(1);
    const byte = this.pool[this.next];
    this.pool[this.next++] = 0;
    return byte / 256;
  };

  private ensure(size: number): void {
    if (this.next + size <= this.pool.length) return;
    this.pool.fill(0);
    this.pool = randomBytes(POOL_BYTES);
    this.next = 0;
  }
}

/**
 * A PRNG for `ulid` that draws from a pool of CSPRNG bytes. ulid's default asks the system
 * for one random byte per character (16 calls per id), which dominates bulk inserts.
 * Returns values in [0, 1) with 8 bits of resolution, enough for 32-symbol Crockford base32.
 */
export function pooledRandom(): () => number {
  return new RandomPool().unit;
}
