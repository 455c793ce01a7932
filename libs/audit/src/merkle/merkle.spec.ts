import { describe, expect, it } from 'vitest';
import {
  mth,
  path,
  proof,
  rfcLeafHash,
  rfcVerifyConsistency,
  rfcVerifyInclusion,
} from '../../../../test/support/rfc9162.js';
import {
  consistencyProof,
  consistencyRefs,
  EMPTY_ROOT,
  extendTree,
  frontierRefs,
  inclusionProof,
  inclusionRefs,
  leafHash,
  type NodeRef,
  nodeHash,
  nodeKey,
  rootFromFrontier,
  subtreeRoot,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const hexes = (...s: string[]): Buffer[] => s.map(hex);

// The RFC 6962 reference vectors of certificate-transparency-go / transparency-dev/merkle (testonly).
const VECTOR_INPUTS = hexes(
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
);
const VECTOR_NODES: string[][] = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  [
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
];
const VECTOR_ROOTS = hexes(
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
);
const VECTOR_INCLUSION: { index: number; size: number; proof: string[] }[] = [
  { index: 0, size: 1, proof: [] },
  { index: 0, size: 2, proof: [VECTOR_NODES[0][1]] },
  { index: 1, size: 2, proof: [VECTOR_NODES[0][0]] },
  { index: 2, size: 3, proof: [VECTOR_NODES[1][0]] },
  { index: 1, size: 5, proof: [VECTOR_NODES[0][0], VECTOR_NODES[1][1], VECTOR_NODES[0][4]] },
  { index: 0, size: 8, proof: [VECTOR_NODES[0][1], VECTOR_NODES[1][1], VECTOR_NODES[2][1]] },
  { index: 5, size: 8, proof: [VECTOR_NODES[0][4], VECTOR_NODES[1][3], VECTOR_NODES[2][0]] },
];
const VECTOR_CONSISTENCY: { from: number; to: number; proof: string[] }[] = [
  { from: 1, to: 1, proof: [] },
  { from: 1, to: 8, proof: [VECTOR_NODES[0][1], VECTOR_NODES[1][1], VECTOR_NODES[2][1]] },
  { from: 2, to: 5, proof: [VECTOR_NODES[1][1], VECTOR_NODES[0][4]] },
  { from: 6, to: 8, proof: [VECTOR_NODES[1][2], VECTOR_NODES[1][3], VECTOR_NODES[2][0]] },
];
// The literal hex of the proofs above, as published, so a mix-up in VECTOR_NODES cannot hide.
const PUBLISHED_6_8 = [
  '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
  'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
];

type InclusionVerifier = (i: bigint, n: bigint, leaf: Buffer, p: readonly Buffer[], root: Buffer) => boolean;
type ConsistencyVerifier = (m: bigint, n: bigint, a: Buffer, b: Buffer, p: readonly Buffer[]) => boolean;
const INCLUSION_VERIFIERS: [string, InclusionVerifier][] = [
  ['service', verifyInclusion],
  ['reference', rfcVerifyInclusion],
];
const CONSISTENCY_VERIFIERS: [string, ConsistencyVerifier][] = [
  ['service', verifyConsistency],
  ['reference', rfcVerifyConsistency],
];
const inclusionVerdicts = (...args: Parameters<InclusionVerifier>): boolean[] =>
  INCLUSION_VERIFIERS.map(([, verify]) => verify(...args));
const consistencyVerdicts = (...args: Parameters<ConsistencyVerifier>): boolean[] =>
  CONSISTENCY_VERIFIERS.map(([, verify]) => verify(...args));

/** mulberry32: a seeded generator, so a failing split is reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const leavesOf = (n: number, tag = 'leaf'): Buffer[] =>
  Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`${tag}-${i}`)));

interface Store {
  readonly nodes: Map<string, Buffer>;
  /** Every level >= 1 node extendTree reported, in order, to check none is reported twice. */
  readonly reported: string[];
  /** The root extendTree returned after each batch, by size. */
  readonly roots: Map<number, Buffer>;
  readonly frontier: Buffer[];
}

/** The node store the lead's tables will hold, built from extendTree in random batch splits. */
function buildStore(leaves: readonly Buffer[], random: () => number): Store {
  const nodes = new Map<string, Buffer>();
  const reported: string[] = [];
  const roots = new Map<number, Buffer>();
  let tree = { size: 0n, frontier: [] as Buffer[] };
  let done = 0;
  while (done < leaves.length) {
    const batch = leaves.slice(done, done + 1 + Math.floor(random() * 9));
    batch.forEach((hash, i) => nodes.set(nodeKey({ level: 0, index: BigInt(done + i) }), hash));
    const next = extendTree(tree.size, tree.frontier, batch);
    for (const node of next.nodes) {
      reported.push(nodeKey(node));
      nodes.set(nodeKey(node), node.hash);
    }
    done += batch.length;
    roots.set(done, next.root);
    tree = next;
  }
  return { nodes, reported, roots, frontier: tree.frontier };
}

const pick = (store: Map<string, Buffer>, refs: readonly NodeRef[]): Map<string, Buffer> =>
  new Map(refs.map((ref) => [nodeKey(ref), store.get(nodeKey(ref))!]));

const flipBit = (b: Buffer, bit = 0): Buffer => {
  const copy = Buffer.from(b);
  copy[bit >> 3] ^= 1 << (bit & 7);
  return copy;
};

describe('RFC 9162 hashing and the reference test vectors', () => {
  it('hashes leaves and nodes with domain separation, and the empty tree as SHA-256("")', () => {
    expect(EMPTY_ROOT).toEqual(VECTOR_ROOTS[0]);
    expect(rootFromFrontier([])).toEqual(VECTOR_ROOTS[0]);
    expect(VECTOR_INPUTS.map(leafHash)).toEqual(hexes(...VECTOR_NODES[0]));
    expect(VECTOR_INPUTS.map(rfcLeafHash)).toEqual(hexes(...VECTOR_NODES[0]));
    expect(nodeHash(hex(VECTOR_NODES[0][0]), hex(VECTOR_NODES[0][1]))).toEqual(hex(VECTOR_NODES[1][0]));
    expect(nodeHash(hex(VECTOR_NODES[0][1]), hex(VECTOR_NODES[0][0]))).not.toEqual(hex(VECTOR_NODES[1][0]));
  });

  it('builds the roots of sizes 0..8, their frontiers and every perfect subtree', () => {
    const leaves = VECTOR_INPUTS.map(leafHash);
    let tree = { size: 0n, frontier: [] as Buffer[] };
    const completed: string[] = [];
    leaves.forEach((leaf, i) => {
      const next = extendTree(tree.size, tree.frontier, [leaf]);
      expect(next.size).toBe(BigInt(i + 1));
      expect(next.root).toEqual(VECTOR_ROOTS[i + 1]);
      expect(mth(leaves.slice(0, i + 1))).toEqual(VECTOR_ROOTS[i + 1]);
      const expectedFrontier = frontierRefs(next.size).map((r) =>
        hex(VECTOR_NODES[r.level][Number(r.index)]),
      );
      expect(next.frontier).toEqual(expectedFrontier);
      expect(rootFromFrontier(next.frontier)).toEqual(VECTOR_ROOTS[i + 1]);
      for (const node of next.nodes) {
        expect(node.hash).toEqual(hex(VECTOR_NODES[node.level][Number(node.index)]));
        completed.push(nodeKey(node));
      }
      tree = next;
    });
    expect(completed).toEqual(['1:0', '1:1', '2:0', '1:2', '1:3', '2:1', '3:0']);
    expect(extendTree(0n, [], leaves).root).toEqual(VECTOR_ROOTS[8]);
  });

  it('produces the published inclusion proofs, and both verifiers accept them', () => {
    const leaves = VECTOR_INPUTS.map(leafHash);
    const store = buildStore(leaves, seeded(1)).nodes;
    for (const v of VECTOR_INCLUSION) {
      const [i, n] = [BigInt(v.index), BigInt(v.size)];
      const want = hexes(...v.proof);
      expect(inclusionProof(i, n, pick(store, inclusionRefs(i, n)))).toEqual(want);
      expect(path(v.index, leaves.slice(0, v.size))).toEqual(want);
      expect(inclusionVerdicts(i, n, leaves[v.index], want, VECTOR_ROOTS[v.size])).toEqual([true, true]);
    }
  });

  it('produces the published consistency proofs, and both verifiers accept them', () => {
    const leaves = VECTOR_INPUTS.map(leafHash);
    const store = buildStore(leaves, seeded(2)).nodes;
    expect(VECTOR_CONSISTENCY.at(-1)!.proof).toEqual(PUBLISHED_6_8);
    for (const v of VECTOR_CONSISTENCY) {
      const [m, n] = [BigInt(v.from), BigInt(v.to)];
      const want = hexes(...v.proof);
      expect(consistencyProof(m, n, pick(store, consistencyRefs(m, n)))).toEqual(want);
      expect(proof(v.from, leaves.slice(0, v.to))).toEqual(want);
      expect(consistencyVerdicts(m, n, VECTOR_ROOTS[v.from], VECTOR_ROOTS[v.to], want)).toEqual([true, true]);
    }
  });
});

describe('the node store against the recursive definitions', () => {
  it('for every size 1..64 in random batches: roots, stored nodes, every inclusion and consistency proof', () => {
    const random = seeded(16);
    for (let n = 1; n <= 64; n++) {
      const leaves = leavesOf(n);
      const store = buildStore(leaves, random);
      for (const [size, root] of store.roots) expect(root).toEqual(mth(leaves.slice(0, size)));
      expect(rootFromFrontier(store.frontier)).toEqual(mth(leaves));

      // Exactly the perfect subtrees of level >= 1, each reported once, each right.
      let perfect = 0;
      for (let level = 1; 2 ** level <= n; level++) perfect += Math.floor(n / 2 ** level);
      expect(store.reported).toHaveLength(perfect);
      expect(new Set(store.reported).size).toBe(perfect);
      for (const key of store.reported) {
        const [level, index] = key.split(':').map(Number);
        const width = 2 ** level;
        expect(store.nodes.get(key)).toEqual(mth(leaves.slice(index * width, (index + 1) * width)));
      }

      const size = BigInt(n);
      const root = mth(leaves);
      for (let i = 0; i < n; i++) {
        const refs = inclusionRefs(BigInt(i), size);
        const got = inclusionProof(BigInt(i), size, pick(store.nodes, refs));
        expect(got).toEqual(path(i, leaves));
        expect(inclusionVerdicts(BigInt(i), size, leaves[i], got, root)).toEqual([true, true]);
      }
      for (let m = 1; m <= n; m++) {
        const got = consistencyProof(BigInt(m), size, pick(store.nodes, consistencyRefs(BigInt(m), size)));
        expect(got).toEqual(proof(m, leaves));
        expect(consistencyVerdicts(BigInt(m), size, mth(leaves.slice(0, m)), root, got)).toEqual([
          true,
          true,
        ]);
      }
    }
  });

  it('serves proofs for every older tree size from the store of the newest one', () => {
    const leaves = leavesOf(64);
    const store = buildStore(leaves, seeded(64)).nodes;
    for (let t = 1; t <= 64; t++) {
      const tree = leaves.slice(0, t);
      for (let i = 0; i < t; i++) {
        expect(inclusionProof(BigInt(i), BigInt(t), store)).toEqual(path(i, tree));
      }
      for (let m = 1; m <= t; m++) {
        expect(consistencyProof(BigInt(m), BigInt(t), store)).toEqual(proof(m, tree));
      }
    }
  });

  it('agrees at a few larger random sizes, checked sparsely', () => {
    const random = seeded(9162);
    for (const n of [1000, 1023, 1025, 2049 + Math.floor(random() * 2000)]) {
      const leaves = leavesOf(n, `big${n}`);
      const store = buildStore(leaves, random).nodes;
      const root = mth(leaves);
      for (let k = 0; k < 12; k++) {
        const i = Math.floor(random() * n);
        const got = inclusionProof(BigInt(i), BigInt(n), store);
        expect(got).toEqual(path(i, leaves));
        expect(inclusionVerdicts(BigInt(i), BigInt(n), leaves[i], got, root)).toEqual([true, true]);
        const m = 1 + Math.floor(random() * n);
        const consistency = consistencyProof(BigInt(m), BigInt(n), store);
        expect(consistency).toEqual(proof(m, leaves));
        const verdicts = consistencyVerdicts(
          BigInt(m),
          BigInt(n),
          mth(leaves.slice(0, m)),
          root,
          consistency,
        );
        expect(verdicts).toEqual([true, true]);
      }
    }
  });

  it('names exactly the nodes a proof reads, each stored (perfect) and inside the tree', () => {
    const leaves = leavesOf(45);
    const store = buildStore(leaves, seeded(45)).nodes;
    for (let i = 0n; i < 45n; i++) {
      const refs = inclusionRefs(i, 45n);
      expect(new Set(refs.map(nodeKey)).size).toBe(refs.length);
      for (const ref of refs) {
        expect(store.has(nodeKey(ref))).toBe(true);
        expect((ref.index + 1n) << BigInt(ref.level)).toBeLessThanOrEqual(45n);
      }
      // With one of its nodes missing, a proof fails loudly instead of being wrong.
      const partial = pick(store, refs);
      partial.delete(nodeKey(refs[refs.length - 1]));
      expect(() => inclusionProof(i, 45n, partial)).toThrow(/missing from the store/);
    }
    expect(subtreeRoot(32n, 45n, store)).toEqual(mth(leaves.slice(32, 45)));
    expect(() => subtreeRoot(3n, 7n, store)).toThrow(RangeError);
  });
});

describe('rejections (both verifiers)', () => {
  const n = 21;
  const leaves = leavesOf(n);
  const store = buildStore(leaves, seeded(21)).nodes;
  const root = mth(leaves);
  const other = leavesOf(n, 'other');
  const stranger = leafHash(Buffer.from('not in the tree'));

  it('inclusion: a flipped bit in the leaf, the root or any proof element; a proof one short or long', () => {
    for (let i = 0; i < n; i++) {
      const p = inclusionProof(BigInt(i), BigInt(n), store);
      const verdict = (leaf: Buffer, q: readonly Buffer[], r = root): boolean[] =>
        inclusionVerdicts(BigInt(i), BigInt(n), leaf, q, r);
      expect(verdict(leaves[i], p)).toEqual([true, true]);
      expect(verdict(flipBit(leaves[i], 7), p)).toEqual([false, false]);
      expect(verdict(leaves[i], p, flipBit(root, 255))).toEqual([false, false]);
      p.forEach((_, k) => {
        const flipped = p.map((h, j) => (j === k ? flipBit(h, 3 * k) : h));
        expect(verdict(leaves[i], flipped)).toEqual([false, false]);
      });
      expect(verdict(leaves[i], p.slice(0, -1))).toEqual([false, false]);
      expect(verdict(leaves[i], [...p, stranger])).toEqual([false, false]);
      expect(verdict(leaves[i], [...p, root])).toEqual([false, false]);
      expect(verdict(leaves[i], [stranger, ...p])).toEqual([false, false]);
      expect(verdict(leaves[i], [...p.slice(0, -1), p.at(-1)!.subarray(1)])).toEqual([false, false]);
    }
  });

  it('inclusion: a wrong index, a wrong size, another tree of the same size', () => {
    for (let i = 0; i < n; i++) {
      const p = inclusionProof(BigInt(i), BigInt(n), store);
      for (let j = 0; j < n + 2; j++) {
        if (j !== i)
          expect(inclusionVerdicts(BigInt(j), BigInt(n), leaves[i], p, root)).toEqual([false, false]);
      }
      // A proof claimed for another size, checked against that size's root.
      for (let t = i + 1; t <= n + 3; t++) {
        if (t === n) continue;
        const rootT = mth(t <= n ? leaves.slice(0, t) : [...leaves, ...other.slice(0, t - n)]);
        expect(inclusionVerdicts(BigInt(i), BigInt(t), leaves[i], p, rootT)).toEqual([false, false]);
      }
      // Same root, another size: the shape changes with the tree height (as the CT tests do it).
      // A size of the same height may share the path's shape; only the root tells those apart,
      // which is why a signed tree head binds size and root together.
      expect(inclusionVerdicts(BigInt(i), BigInt(2 * n), leaves[i], p, root)).toEqual([false, false]);
      expect(inclusionVerdicts(BigInt(i), BigInt(n >> 1), leaves[i], p, root)).toEqual([false, false]);
      expect(inclusionVerdicts(BigInt(i), BigInt(n), leaves[i], p, mth(other))).toEqual([false, false]);
    }
    expect(inclusionVerdicts(0n, 0n, leaves[0], [], EMPTY_ROOT)).toEqual([false, false]);
    expect(inclusionVerdicts(-1n, 3n, leaves[0], [], root)).toEqual([false, false]);
  });

  it('inclusion: two adjacent leaves swapped', () => {
    for (let i = 0; i + 1 < n; i++) {
      const swapped = [...leaves];
      [swapped[i], swapped[i + 1]] = [swapped[i + 1], swapped[i]];
      const swappedRoot = mth(swapped);
      const original = inclusionProof(BigInt(i), BigInt(n), store);
      expect(inclusionVerdicts(BigInt(i), BigInt(n), leaves[i], original, swappedRoot)).toEqual([
        false,
        false,
      ]);
      // The honest proof for the swapped tree puts leaf i at i + 1, never at i.
      const moved = path(i + 1, swapped);
      expect(inclusionVerdicts(BigInt(i + 1), BigInt(n), leaves[i], moved, swappedRoot)).toEqual([
        true,
        true,
      ]);
      expect(inclusionVerdicts(BigInt(i), BigInt(n), leaves[i], moved, swappedRoot)).toEqual([false, false]);
      // And the original tree's proofs never place leaf i at i + 1 (nor leaf i + 1 at i).
      const next = inclusionProof(BigInt(i + 1), BigInt(n), store);
      expect(inclusionVerdicts(BigInt(i + 1), BigInt(n), leaves[i], next, root)).toEqual([false, false]);
      expect(inclusionVerdicts(BigInt(i), BigInt(n), leaves[i + 1], original, root)).toEqual([false, false]);
    }
  });

  it('consistency: flipped bits, one element short or long, wrong sizes, swapped roots', () => {
    for (let m = 1; m < n; m++) {
      const p = consistencyProof(BigInt(m), BigInt(n), store);
      const fromRoot = mth(leaves.slice(0, m));
      const verdict = (q: readonly Buffer[], a = fromRoot, b = root, mm = m, nn = n): boolean[] =>
        consistencyVerdicts(BigInt(mm), BigInt(nn), a, b, q);
      expect(verdict(p)).toEqual([true, true]);
      p.forEach((_, k) => {
        const flipped = p.map((h, j) => (j === k ? flipBit(h, 5 * k + 1) : h));
        expect(verdict(flipped)).toEqual([false, false]);
      });
      expect(verdict(p.slice(0, -1))).toEqual([false, false]);
      expect(verdict(p.slice(1))).toEqual([false, false]);
      expect(verdict([...p, stranger])).toEqual([false, false]);
      expect(verdict([...p, fromRoot])).toEqual([false, false]);
      expect(verdict([p[0], ...p])).toEqual([false, false]);
      expect(verdict([])).toEqual([false, false]);
      expect(verdict(p, flipBit(fromRoot))).toEqual([false, false]);
      expect(verdict(p, fromRoot, flipBit(root, 100))).toEqual([false, false]);
      expect(verdict(p, root, fromRoot)).toEqual([false, false]);
      expect(verdict(p, fromRoot, root, n, m)).toEqual([false, false]);
      // The same roots claimed for a taller or shorter new tree: only the proof's shape can tell.
      expect(verdict(p, fromRoot, root, m, 2 * n)).toEqual([false, false]);
      if (m < n >> 1) expect(verdict(p, fromRoot, root, m, n >> 1)).toEqual([false, false]);
      for (let mm = 1; mm <= n; mm++) {
        if (mm !== m) expect(verdict(p, mth(leaves.slice(0, mm)), root, mm)).toEqual([false, false]);
      }
      for (let nn = m + 1; nn <= n + 2; nn++) {
        if (nn === n) continue;
        const rootNN = mth(nn <= n ? leaves.slice(0, nn) : [...leaves, ...other.slice(0, nn - n)]);
        expect(verdict(p, fromRoot, rootNN, m, nn)).toEqual([false, false]);
      }
    }
  });

  it('consistency: the old root of a different tree, or a new tree with two leaves swapped', () => {
    for (let m = 1; m < n; m++) {
      const p = consistencyProof(BigInt(m), BigInt(n), store);
      const differentOld = [...other.slice(0, m)];
      expect(consistencyVerdicts(BigInt(m), BigInt(n), mth(differentOld), root, p)).toEqual([false, false]);
      for (let i = 0; i + 1 < n; i++) {
        const swapped = [...leaves];
        [swapped[i], swapped[i + 1]] = [swapped[i + 1], swapped[i]];
        const verdicts = consistencyVerdicts(BigInt(m), BigInt(n), mth(leaves.slice(0, m)), mth(swapped), p);
        expect(verdicts).toEqual([false, false]);
        // A history rewritten below m, with the rewritten tree's own honest proof, against the kept checkpoint.
        if (i + 1 < m) {
          const rewritten = proof(m, swapped);
          const checkpoint = mth(leaves.slice(0, m));
          expect(consistencyVerdicts(BigInt(m), BigInt(n), checkpoint, mth(swapped), rewritten)).toEqual([
            false,
            false,
          ]);
        }
      }
    }
  });

  it('consistency: equal sizes need equal roots and no proof; size 0 has no RFC proof', () => {
    expect(consistencyVerdicts(5n, 5n, mth(leaves.slice(0, 5)), mth(leaves.slice(0, 5)), [])).toEqual([
      true,
      true,
    ]);
    expect(consistencyVerdicts(5n, 5n, mth(leaves.slice(0, 5)), mth(other.slice(0, 5)), [])).toEqual([
      false,
      false,
    ]);
    expect(consistencyVerdicts(5n, 5n, mth(leaves.slice(0, 5)), mth(leaves.slice(0, 5)), [root])).toEqual([
      false,
      false,
    ]);
    expect(consistencyVerdicts(0n, 5n, EMPTY_ROOT, mth(leaves.slice(0, 5)), [])).toEqual([false, false]);
    expect(consistencyVerdicts(6n, 5n, root, root, [])).toEqual([false, false]);
  });
});

describe('argument checks', () => {
  it('refuses leaf indexes outside the tree, sizes < 1 and consistency outside 0 < from <= to', () => {
    expect(() => inclusionRefs(5n, 5n)).toThrow(RangeError);
    expect(() => inclusionRefs(0n, 0n)).toThrow(RangeError);
    expect(() => inclusionRefs(-1n, 5n)).toThrow(RangeError);
    expect(() => inclusionProof(7n, 5n, new Map())).toThrow(/outside a tree of size 5/);
    expect(() => consistencyRefs(0n, 5n)).toThrow(RangeError);
    expect(() => consistencyRefs(6n, 5n)).toThrow(RangeError);
    expect(() => consistencyProof(0n, 0n, new Map())).toThrow(RangeError);
    expect(consistencyRefs(5n, 5n)).toEqual([]);
    expect(inclusionRefs(0n, 1n)).toEqual([]);
    expect(() => frontierRefs(-1n)).toThrow(RangeError);
  });

  it('refuses a frontier that does not match the size, and hashes that are not 32 bytes', () => {
    const [a, b, c] = leavesOf(3);
    expect(() => extendTree(3n, [nodeHash(a, b)], [c])).toThrow(/2 frontier hashes, got 1/);
    expect(() => extendTree(0n, [], [a, Buffer.alloc(31)])).toThrow(/leaves\[1\] must be a 32-byte hash/);
    expect(() => extendTree(1n, [Buffer.alloc(33)], [a])).toThrow(RangeError);
    expect(extendTree(2n, [nodeHash(a, b)], [])).toMatchObject({ size: 2n, nodes: [] });
    expect(inclusionVerdicts(0n, 1n, a.subarray(0, 31), [], a)).toEqual([false, false]);
  });
});

describe('sizes near 2^40: refs only, nothing per leaf', () => {
  // A tree whose leaves all hash to `plain` except one `marked` leaf: every perfect subtree
  // without the mark has a per-level constant hash, so any node of a 2^40-leaf tree costs
  // O(level) hashes. A consistent store that never exists in full.
  const plain = leafHash(Buffer.from('plain'));
  const marked = leafHash(Buffer.from('marked'));
  const uniform = [plain];
  for (let level = 1; level <= 64; level++) uniform.push(nodeHash(uniform[level - 1], uniform[level - 1]));
  const lazyNode = (mark: bigint, ref: NodeRef): Buffer => {
    const first = ref.index << BigInt(ref.level);
    const covers = mark >= first && mark < first + (1n << BigInt(ref.level));
    if (!covers) return uniform[ref.level];
    if (ref.level === 0) return marked;
    const left = { level: ref.level - 1, index: ref.index * 2n };
    const right = { level: ref.level - 1, index: ref.index * 2n + 1n };
    return nodeHash(lazyNode(mark, left), lazyNode(mark, right));
  };
  const fetch = (mark: bigint, refs: readonly NodeRef[]): Map<string, Buffer> =>
    new Map(refs.map((ref) => [nodeKey(ref), lazyNode(mark, ref)]));
  const rootOf = (mark: bigint, size: bigint): Buffer =>
    rootFromFrontier(frontierRefs(size).map((ref) => lazyNode(mark, ref)));

  const size = (1n << 40n) + (1n << 33n) + 123_457n;
  const marks = [0n, 1n, (1n << 40n) - 1n, 1n << 40n, size - 2n, size - 1n, 777_777_777_777n];

  it('inclusion proofs name at most 2 log2(size) nodes and verify against the frontier root', () => {
    for (const mark of marks) {
      const refs = inclusionRefs(mark, size);
      expect(refs.length).toBeLessThanOrEqual(2 * 41);
      const p = inclusionProof(mark, size, fetch(mark, refs));
      expect(p.length).toBeLessThanOrEqual(41);
      const root = rootOf(mark, size);
      expect(inclusionVerdicts(mark, size, marked, p, root)).toEqual([true, true]);
      expect(inclusionVerdicts(mark, size, plain, p, root)).toEqual([false, false]);
      expect(inclusionVerdicts(mark, size + 1n, marked, p, rootOf(mark, size + 1n))).toEqual([false, false]);
    }
  });

  it('consistency proofs between huge sizes verify with both verifiers', () => {
    const pairs: [bigint, bigint][] = [
      [1n, size],
      [1n << 40n, size],
      [(1n << 40n) - 1n, size],
      [size - 1n, size],
      [999_999_999_999n, size],
    ];
    for (const mark of marks) {
      for (const [from, to] of pairs) {
        const refs = consistencyRefs(from, to);
        expect(refs.length).toBeLessThanOrEqual(2 * 41);
        const p = consistencyProof(from, to, fetch(mark, refs));
        expect(consistencyVerdicts(from, to, rootOf(mark, from), rootOf(mark, to), p)).toEqual([true, true]);
        const otherMark = mark === 0n ? 1n : 0n;
        if (mark < from) {
          expect(consistencyVerdicts(from, to, rootOf(otherMark, from), rootOf(mark, to), p)).toEqual([
            false,
            false,
          ]);
        }
      }
    }
  });

  it('extendTree carries a 40-level frontier in 40 merges', () => {
    const before = (1n << 40n) - 1n;
    const mark = before;
    const frontier = frontierRefs(before).map((ref) => lazyNode(mark, ref));
    expect(frontier).toHaveLength(40);
    const next = extendTree(before, frontier, [marked]);
    expect(next.size).toBe(1n << 40n);
    expect(next.frontier).toEqual([lazyNode(mark, { level: 40, index: 0n })]);
    expect(next.root).toEqual(next.frontier[0]);
    expect(next.nodes).toHaveLength(40);
    for (const node of next.nodes) {
      expect(node.index).toBe(before >> BigInt(node.level));
      expect(node.hash).toEqual(lazyNode(mark, node));
    }
    // The frontier tiles [0, size): one perfect subtree per set bit, largest first.
    const tiles = frontierRefs(size);
    expect(tiles.map((ref) => ref.level)).toEqual([40, 33, 16, 15, 14, 13, 9, 6, 0]);
    let at = 0n;
    for (const ref of tiles) {
      expect(ref.index << BigInt(ref.level)).toBe(at);
      at += 1n << BigInt(ref.level);
    }
    expect(at).toBe(size);
  });
});
