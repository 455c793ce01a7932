import { createHash } from 'node:crypto';

/**
 * An independent RFC 9162 §2.1 reference for the tests: the recursive definitions over a full
 * list of leaf hashes, and the two verification algorithms, written from the RFC text alone.
 * It shares no code with libs/audit on purpose: a proof the service emits is only evidence if
 * something else checks it. Slow (MTH recomputes every subtree) and meant to be.
 */

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** MTH({}) */
export const emptyRoot = (): Buffer => sha256();

/** The leaf hash of entry data: SHA-256(0x00 || d). */
export const rfcLeafHash = (data: Uint8Array): Buffer => sha256(Uint8Array.of(0), data);

const interior = (left: Uint8Array, right: Uint8Array): Buffer => sha256(Uint8Array.of(1), left, right);

/** The largest power of two strictly smaller than n (n > 1). */
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) over leaf hashes (not entry data). */
export function mth(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return emptyRoot();
  if (leaves.length === 1) return leaves[0];
  const k = largestPowerOfTwoBelow(leaves.length);
  return interior(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** PATH(m, D[n]) over leaf hashes, §2.1.3.1. */
export function path(m: number, leaves: readonly Buffer[]): Buffer[] {
  const n = leaves.length;
  if (m < 0 || m >= n) throw new RangeError(`PATH(${m}, D[${n}]) is undefined`);
  if (n === 1) return [];
  const k = largestPowerOfTwoBelow(n);
  if (m < k) return [...path(m, leaves.slice(0, k)), mth(leaves.slice(k))];
  return [...path(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

/** PROOF(m, D[n]) = SUBPROOF(m, D[n], true), §2.1.4.1; defined for 0 < m <= n. */
export function proof(m: number, leaves: readonly Buffer[]): Buffer[] {
  if (m < 1 || m > leaves.length) throw new RangeError(`PROOF(${m}, D[${leaves.length}]) is undefined`);
  return subproof(m, leaves, true);
}

function subproof(m: number, leaves: readonly Buffer[], b: boolean): Buffer[] {
  const n = leaves.length;
  if (m === n) return b ? [] : [mth(leaves)];
  const k = largestPowerOfTwoBelow(n);
  if (m <= k) return [...subproof(m, leaves.slice(0, k), b), mth(leaves.slice(k))];
  return [...subproof(m - k, leaves.slice(k), false), mth(leaves.slice(0, k))];
}

const is32 = (b: unknown): b is Buffer => Buffer.isBuffer(b) && b.length === 32;
const lsb = (x: bigint): boolean => (x & 1n) === 1n;

/** §2.1.3.2, step by step. */
export function rfcVerifyInclusion(
  leafIndex: bigint | number,
  treeSize: bigint | number,
  hash: Buffer,
  auditPath: readonly Buffer[],
  rootHash: Buffer,
): boolean {
  const index = BigInt(leafIndex);
  const size = BigInt(treeSize);
  if (!is32(hash) || !is32(rootHash) || !auditPath.every(is32)) return false;
  // 1.
  if (index < 0n || index >= size) return false;
  // 2. and 3.
  let fn = index;
  let sn = size - 1n;
  let r = hash;
  // 4.
  for (const p of auditPath) {
    if (sn === 0n) return false; // a.
    if (lsb(fn) || fn === sn) {
      // b.
      r = interior(p, r);
      if (!lsb(fn)) {
        do {
          fn >>= 1n;
          sn >>= 1n;
        } while (!lsb(fn) && fn !== 0n);
      }
    } else {
      r = interior(r, p); // c.
    }
    fn >>= 1n; // d.
    sn >>= 1n;
  }
  // 5.
  return sn === 0n && r.equals(rootHash);
}

/**
 * §2.1.4.2, step by step. The RFC's algorithm covers 0 < first < second; first == second is
 * consistent with an empty proof and equal hashes, and first == 0 has no RFC proof (false).
 */
export function rfcVerifyConsistency(
  first: bigint | number,
  second: bigint | number,
  firstHash: Buffer,
  secondHash: Buffer,
  consistencyPath: readonly Buffer[],
): boolean {
  const m = BigInt(first);
  const n = BigInt(second);
  if (!is32(firstHash) || !is32(secondHash) || !consistencyPath.every(is32)) return false;
  if (m < 1n || m > n) return false;
  if (m === n) return consistencyPath.length === 0 && firstHash.equals(secondHash);
  // 1.
  if (consistencyPath.length === 0) return false;
  // 2.
  const items = (m & (m - 1n)) === 0n ? [firstHash, ...consistencyPath] : [...consistencyPath];
  // 3.
  let fn = m - 1n;
  let sn = n - 1n;
  // 4.
  while (lsb(fn)) {
    fn >>= 1n;
    sn >>= 1n;
  }
  // 5.
  let fr = items[0];
  let sr = items[0];
  // 6.
  for (let i = 1; i < items.length; i++) {
    const c = items[i];
    if (sn === 0n) return false; // a.
    if (lsb(fn) || fn === sn) {
      // b.
      fr = interior(c, fr);
      sr = interior(c, sr);
      if (!lsb(fn)) {
        do {
          fn >>= 1n;
          sn >>= 1n;
        } while (!lsb(fn) && fn !== 0n);
      }
    } else {
      sr = interior(sr, c); // c.
    }
    fn >>= 1n; // d.
    sn >>= 1n;
  }
  // 7.
  return fr.equals(firstHash) && sr.equals(secondHash) && sn === 0n;
}
