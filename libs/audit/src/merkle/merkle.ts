import { createHash } from 'node:crypto';

/**
 * RFC 9162 §2.1 Merkle tree math over a node store, without a database.
 *
 * Leaves are numbered from 0. A NodeRef {level, index} is the PERFECT subtree over leaves
 * [index * 2^level, (index + 1) * 2^level); level 0 is the leaf hash itself. Only perfect
 * subtrees are ever stored: every range an RFC 9162 proof needs is [a, b) with a aligned to
 * a power of two p >= b - a, so its MTH is the right-to-left fold of the perfect subtrees
 * given by the binary digits of b - a, largest first (the RFC's own split rule, unrolled).
 * Proof functions come in pairs: `*Refs` names the nodes to fetch (one batched lookup),
 * `*Proof` assembles the proof from a Map keyed by `nodeKey`.
 */

export const HASH_BYTES = 32;

/** MTH({}) = SHA-256 of the empty string. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** SHA-256(0x00 || leaf data): the domain-separated leaf hash. */
export function leafHash(data: Buffer): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

/** SHA-256(0x01 || left || right): an interior node. */
export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

export interface NodeRef {
  readonly level: number;
  readonly index: bigint;
}

export interface StoredNode extends NodeRef {
  readonly hash: Buffer;
}

export interface ExtendedTree {
  readonly size: bigint;
  /** The new tree's frontier, in frontierRefs(size) order. */
  readonly frontier: Buffer[];
  readonly root: Buffer;
  /** Every perfect subtree of level >= 1 that became complete, in completion order. */
  readonly nodes: StoredNode[];
}

/** The Map key of a node ref: "level:index". */
export function nodeKey(ref: NodeRef): string {
  return `${ref.level}:${ref.index}`;
}

/** The perfect subtrees whose concatenation is the tree of `size` leaves, largest (leftmost) first. */
export function frontierRefs(size: bigint): NodeRef[] {
  requireNonNegative('size', size);
  return rangeRefs(0n, size);
}

/** MTH of the whole tree from its frontier hashes (frontierRefs order); EMPTY_ROOT for none. */
export function rootFromFrontier(frontier: readonly Buffer[]): Buffer {
  if (frontier.length === 0) return Buffer.from(EMPTY_ROOT);
  return foldRight(frontier);
}

/**
 * Appends leaf HASHES to the tree of `size` leaves whose frontier is given. Linear in
 * leaves.length + log(size): each appended leaf merges with equal-level frontier entries
 * like a binary counter carries, and every merge completes exactly one perfect subtree.
 */
export function extendTree(
  size: bigint,
  frontier: readonly Buffer[],
  leaves: readonly Buffer[],
): ExtendedTree {
  const refs = frontierRefs(size);
  if (refs.length !== frontier.length) {
    throw new RangeError(`a tree of size ${size} has ${refs.length} frontier hashes, got ${frontier.length}`);
  }
  frontier.forEach((hash, i) => requireHash(`frontier[${i}]`, hash));
  const stack = refs.map((ref, i) => ({ level: ref.level, hash: frontier[i] }));
  const nodes: StoredNode[] = [];
  let next = size;
  leaves.forEach((leaf, i) => {
    requireHash(`leaves[${i}]`, leaf);
    let top = { level: 0, hash: leaf };
    let index = next;
    while (stack.length > 0 && stack[stack.length - 1].level === top.level) {
      const left = stack.pop()!;
      index >>= 1n;
      top = { level: top.level + 1, hash: nodeHash(left.hash, top.hash) };
      nodes.push({ level: top.level, index, hash: top.hash });
    }
    stack.push(top);
    next += 1n;
  });
  const hashes = stack.map((entry) => entry.hash);
  return { size: next, frontier: hashes, root: rootFromFrontier(hashes), nodes };
}

/** The nodes inclusionProof needs: the perfect pieces of every audit-path range. */
export function inclusionRefs(leafIndex: bigint, size: bigint): NodeRef[] {
  return inclusionRanges(leafIndex, size).flatMap(([start, end]) => rangeRefs(start, end));
}

/** RFC 9162 §2.1.3.1 PATH(m, D[n]) in the RFC's order: the leaf's sibling first, the root's child last. */
export function inclusionProof(
  leafIndex: bigint,
  size: bigint,
  nodes: ReadonlyMap<string, Buffer>,
): Buffer[] {
  return inclusionRanges(leafIndex, size).map(([start, end]) => subtreeRoot(start, end, nodes));
}

/**
 * The nodes consistencyProof needs. RFC 9162 defines PROOF(m, D[n]) for 0 < m <= n only
 * (its SUBPROOF recursion has no case for m = 0), so from = 0 is a RangeError: the empty tree
 * is a prefix of every tree and needs no proof, and a caller asking for one has a bug.
 */
export function consistencyRefs(from: bigint, to: bigint): NodeRef[] {
  return consistencyRanges(from, to).flatMap(([start, end]) => rangeRefs(start, end));
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[n]); empty when from == to. */
export function consistencyProof(from: bigint, to: bigint, nodes: ReadonlyMap<string, Buffer>): Buffer[] {
  return consistencyRanges(from, to).map(([start, end]) => subtreeRoot(start, end, nodes));
}

/** MTH(D[start:end]) for a range as RFC 9162 proofs use them (start aligned to a power of two >= end - start). */
export function subtreeRoot(start: bigint, end: bigint, nodes: ReadonlyMap<string, Buffer>): Buffer {
  const hashes = rangeRefs(start, end).map((ref) => {
    const hash = nodes.get(nodeKey(ref));
    if (hash === undefined) throw new Error(`Merkle node ${nodeKey(ref)} is missing from the store`);
    return hash;
  });
  return foldRight(hashes);
}

/** RFC 9162 §2.1.3.2: does `proof` show `leaf` (a leaf hash) at `leafIndex` in the tree of `size` with `root`? */
export function verifyInclusion(
  leafIndex: bigint,
  size: bigint,
  leaf: Buffer,
  proof: readonly Buffer[],
  root: Buffer,
): boolean {
  if (leafIndex < 0n || leafIndex >= size || !isHash(leaf) || !isHash(root) || !proof.every(isHash))
    return false;
  let fn = leafIndex;
  let sn = size - 1n;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) [fn, sn] = [fn >> 1n, sn >> 1n];
    } else {
      r = nodeHash(r, p);
    }
    [fn, sn] = [fn >> 1n, sn >> 1n];
  }
  return sn === 0n && r.equals(root);
}

/**
 * RFC 9162 §2.1.4.2: is the tree of `to` leaves with `toRoot` an extension of the tree of
 * `from` leaves with `fromRoot`? from == to holds with an empty proof and equal roots;
 * from == 0 is false, as consistencyRefs explains (the RFC defines no proof for it).
 */
export function verifyConsistency(
  from: bigint,
  to: bigint,
  fromRoot: Buffer,
  toRoot: Buffer,
  proof: readonly Buffer[],
): boolean {
  if (from < 1n || from > to || !isHash(fromRoot) || !isHash(toRoot) || !proof.every(isHash)) return false;
  if (from === to) return proof.length === 0 && fromRoot.equals(toRoot);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(from) ? [fromRoot, ...proof] : [...proof];
  let fn = from - 1n;
  let sn = to - 1n;
  while ((fn & 1n) === 1n) [fn, sn] = [fn >> 1n, sn >> 1n];
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) [fn, sn] = [fn >> 1n, sn >> 1n];
    } else {
      sr = nodeHash(sr, c);
    }
    [fn, sn] = [fn >> 1n, sn >> 1n];
  }
  return sn === 0n && fr.equals(fromRoot) && sr.equals(toRoot);
}

type Range = readonly [start: bigint, end: bigint];

/** PATH(m, D[n]) unrolled: the sibling range at each split, collected root-side first, returned leaf-side first. */
function inclusionRanges(leafIndex: bigint, size: bigint): Range[] {
  if (size < 1n) throw new RangeError(`an inclusion proof needs a tree size >= 1, got ${size}`);
  if (leafIndex < 0n || leafIndex >= size) {
    throw new RangeError(`leaf index ${leafIndex} is outside a tree of size ${size}`);
  }
  const ranges: Range[] = [];
  let [lo, hi] = [0n, size];
  while (hi - lo > 1n) {
    const mid = lo + splitPoint(hi - lo);
    if (leafIndex < mid) {
      ranges.push([mid, hi]);
      hi = mid;
    } else {
      ranges.push([lo, mid]);
      lo = mid;
    }
  }
  return ranges.reverse();
}

/** SUBPROOF(m, D[n], true) unrolled the same way; the old tree's own subtree comes first when it is not the root. */
function consistencyRanges(from: bigint, to: bigint): Range[] {
  if (from < 1n || from > to) {
    throw new RangeError(`a consistency proof needs 0 < from <= to, got from ${from}, to ${to}`);
  }
  const ranges: Range[] = [];
  let [lo, hi] = [0n, to];
  let fromIsRoot = true;
  while (from < hi) {
    const mid = lo + splitPoint(hi - lo);
    if (from <= mid) {
      ranges.push([mid, hi]);
      hi = mid;
    } else {
      ranges.push([lo, mid]);
      lo = mid;
      fromIsRoot = false;
    }
  }
  if (!fromIsRoot) ranges.push([lo, hi]);
  return ranges.reverse();
}

/** The perfect subtrees of [start, end), one per binary digit of end - start, largest first. */
function rangeRefs(start: bigint, end: bigint): NodeRef[] {
  const refs: NodeRef[] = [];
  let at = start;
  for (let level = bitLength(end - start) - 1; level >= 0; level--) {
    const width = 1n << BigInt(level);
    if (((end - start) & width) === 0n) continue;
    if (at % width !== 0n) throw new RangeError(`[${start}, ${end}) is not a range of the RFC 9162 tree`);
    refs.push({ level, index: at >> BigInt(level) });
    at += width;
  }
  return refs;
}

/** Folds hashes right to left: h0 . (h1 . (... . hn)). */
function foldRight(hashes: readonly Buffer[]): Buffer {
  let acc = hashes[hashes.length - 1];
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i], acc);
  return acc;
}

/** The largest power of two smaller than n (n >= 2): where RFC 9162 splits D[n]. */
function splitPoint(n: bigint): bigint {
  return 1n << BigInt(bitLength(n - 1n) - 1);
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

function isPowerOfTwo(n: bigint): boolean {
  return n > 0n && (n & (n - 1n)) === 0n;
}

function isHash(value: Buffer): boolean {
  return Buffer.isBuffer(value) && value.length === HASH_BYTES;
}

function requireHash(name: string, value: Buffer): void {
  if (!isHash(value)) throw new RangeError(`${name} must be a ${HASH_BYTES}-byte hash`);
}

function requireNonNegative(name: string, value: bigint): void {
  if (value < 0n) throw new RangeError(`${name} must be >= 0, got ${value}`);
}
