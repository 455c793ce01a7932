import { Injectable } from '@nestjs/common';
import { Metrics } from '@orderops/core';
import type { AuditEventEntity } from './audit-event.entity.js';
import { AUDIT_GENESIS_HASH, chainedLeafHash, computeAuditHash, computeLeafHash } from './audit-hash.js';
import { AuditSequencer } from './audit-sequencer.js';
import { frontierOf, fromHex, storedNodes, toHex } from './audit-tree-store.js';
import { AuditRepository, type AuditChainHeadRow } from './audit.repository.js';
import { AuditProofRangeError, AuditEventNotSequencedError } from './audit.errors.js';
import {
  consistencyProof,
  consistencyRefs,
  EMPTY_ROOT,
  extendTree,
  inclusionProof,
  inclusionRefs,
  nodeKey,
} from './merkle/merkle.js';

/** The log's state: how many events it holds, the Merkle tree hash over them, and when it grew. */
export interface AuditTreeHead {
  /** Decimal (bigint). */
  readonly treeSize: string;
  /** RFC 9162 MTH over the leaves, hex. */
  readonly rootHash: string;
  /** When the batch that made this head ran; null for the empty log. */
  readonly at: Date | null;
}

/** What a kept checkpoint names: a tree head, or (taken before the Merkle log) a chain head. */
export type AuditCheckpointHead =
  { readonly treeSize: string; readonly rootHash: string } | { readonly seq: string; readonly hash: string };

export const AUDIT_BREAKS = ['hash_mismatch', 'gap', 'tree_mismatch', 'checkpoint_mismatch'] as const;
export type AuditBreak = (typeof AUDIT_BREAKS)[number];

export interface AuditVerification {
  readonly valid: boolean;
  /** Events whose content and position checked out (up to the break, if any). */
  readonly checked: number;
  /** The last event that checked out ("0" when none did). */
  readonly lastSeq: string;
  /** The tree hash over the events that checked out. */
  readonly rootHash: string;
  /** Committed events not yet in the log (another replica's sequencer was busy): checked next time. */
  readonly pending: number;
  readonly brokenAt?: { readonly seq: string; readonly reason: AuditBreak };
}

export interface AuditInclusionProof {
  readonly seq: string;
  readonly treeSize: string;
  readonly leafHash: string;
  readonly rootHash: string;
  readonly proof: string[];
}

export interface AuditConsistencyProof {
  readonly from: string;
  readonly to: string;
  readonly fromRoot: string;
  readonly toRoot: string;
  readonly proof: string[];
}

const VERIFY_BATCH = 1000;
/** A replica whose sequencer never ran reads the head for the gauge at most this often. */
const HEAD_READ_INTERVAL_MS = 15_000;

/** The walk's running state: the tree rebuilt from the events read so far. */
interface Rebuilt {
  size: bigint;
  frontier: Buffer[];
  root: Buffer;
}

/**
 * The audit log's structure: its signed-able head, full verification (every event's content,
 * position, the stored tree and every stored head recomputed), and the RFC 9162 proofs an
 * auditor checks against a tree head kept outside: inclusion of an event, consistency of an
 * older head with a newer one.
 */
@Injectable()
export class AuditLog {
  private readonly verifyFailed: (reason: AuditBreak) => void;
  private knownSize: number | undefined;
  private readingHead = false;
  private lastHeadRead = 0;

  constructor(
    private readonly repository: AuditRepository,
    private readonly sequencer: AuditSequencer,
    metrics: Metrics,
  ) {
    this.verifyFailed = metrics.closedCounter(
      'orderops_audit_verify_failures_total',
      'Log verifications (GET /audit/verify, or the CLI in its own process) that found a break, by kind.',
      'reason',
      AUDIT_BREAKS,
    );
    metrics.gauge(
      'orderops_audit_chain_head_seq',
      'Size of the audit log (its highest seq) as this process last read or verified it.',
      () => this.readSizeInBackground(),
    );
  }

  /**
   * What this replica's sequencer last saw; a replica whose sequencer has not run reads the
   * head in the background (a scrape must never wait on the database): the next scrape has it.
   */
  private readSizeInBackground(): number | undefined {
    const sequenced = this.sequencer.knownSize();
    if (sequenced !== undefined) return Math.max(sequenced, this.knownSize ?? 0);
    if (!this.readingHead && Date.now() - this.lastHeadRead >= HEAD_READ_INTERVAL_MS) {
      this.readingHead = true;
      this.lastHeadRead = Date.now();
      this.repository.latestTreeHead().then(
        (head) => {
          this.knownSize = Number(head?.treeSize ?? 0);
          this.readingHead = false;
        },
        () => {
          this.readingHead = false;
        },
      );
    }
    return this.knownSize;
  }

  async head(): Promise<AuditTreeHead> {
    const head = await this.repository.latestTreeHead();
    return head === undefined ? { treeSize: '0', rootHash: toHex(EMPTY_ROOT), at: null } : head;
  }

  /** Integrates what has committed, then returns the head (for a checkpoint that covers it). */
  async currentHead(): Promise<AuditTreeHead> {
    await this.sequencer.drain();
    return this.head();
  }

  /**
   * Integrates committed events, then walks the whole log by position: each event's content
   * against its leaf hash (and, for chained events, its chain hash), seq contiguous from 1,
   * every stored tree node and head against the tree rebuilt from the events. With a
   * checkpoint, the rebuilt tree at its size must have its root (a chain checkpoint: the
   * chained event at its seq must carry its hash).
   */
  async verify(checkpoint?: AuditCheckpointHead): Promise<AuditVerification> {
    await this.sequencer.drain();
    const verification = await this.walk(checkpoint);
    if (verification.brokenAt) this.verifyFailed(verification.brokenAt.reason);
    this.knownSize = Number(verification.lastSeq);
    return verification;
  }

  private async walk(checkpoint?: AuditCheckpointHead): Promise<AuditVerification> {
    const head = await this.head();
    const chain = (await this.repository.getChainHead()) ?? { seq: '0', hash: AUDIT_GENESIS_HASH };
    const pending = await this.repository.countUnsequenced();
    const size = BigInt(head.treeSize);
    const tree: Rebuilt = { size: 0n, frontier: [], root: EMPTY_ROOT };
    let chainHash = AUDIT_GENESIS_HASH;
    const result = (brokenAt?: AuditVerification['brokenAt']): AuditVerification => ({
      valid: brokenAt === undefined,
      checked: Number(tree.size),
      lastSeq: tree.size.toString(),
      rootHash: toHex(tree.root),
      pending,
      ...(brokenAt ? { brokenAt } : {}),
    });
    const wanted = checkpointSize(checkpoint);
    if (wanted !== undefined && wanted > size) {
      return result({ seq: wanted.toString(), reason: 'checkpoint_mismatch' });
    }
    if (wanted === 0n && checkpoint && !matchesEmpty(checkpoint)) {
      return result({ seq: '0', reason: 'checkpoint_mismatch' });
    }
    while (tree.size < size) {
      // A window of VERIFY_BATCH positions, not "the rest of the log, LIMIT": with stale
      // statistics the planner reads (and sorts) every row of the range before the LIMIT, so
      // each page would rescan the rest and the walk grow quadratically.
      const window = tree.size + BigInt(VERIFY_BATCH);
      const upTo = window < size ? window : size;
      const batch = await this.repository.getRange(tree.size.toString(), upTo.toString(), VERIFY_BATCH);
      if (batch.length === 0) return result({ seq: (tree.size + 1n).toString(), reason: 'gap' });
      const leaves: Buffer[] = [];
      for (const event of batch) {
        const seq = tree.size + BigInt(leaves.length) + 1n;
        if (BigInt(event.seq ?? 0) !== seq) return this.partial(tree, leaves, result, seq, 'gap');
        const leaf = checkLeaf(event, seq, chain, chainHash);
        if (leaf === undefined) return this.partial(tree, leaves, result, seq, 'hash_mismatch');
        if (isChainCheckpointMiss(checkpoint, seq, event)) {
          return this.partial(tree, leaves, result, seq, 'checkpoint_mismatch');
        }
        if (event.hash !== null) chainHash = event.hash;
        leaves.push(leaf);
      }
      const broken = await this.extendChecked(tree, leaves, checkpoint);
      if (broken) return result(broken);
    }
    if (BigInt(chain.seq) > size) return result({ seq: (size + 1n).toString(), reason: 'gap' });
    if (toHex(tree.root) !== head.rootHash) return result({ seq: head.treeSize, reason: 'tree_mismatch' });
    return result();
  }

  /** Extends the rebuilt tree by the leaves that checked out before a break, then reports it. */
  private partial(
    tree: Rebuilt,
    leaves: Buffer[],
    result: (brokenAt: AuditVerification['brokenAt']) => AuditVerification,
    seq: bigint,
    reason: AuditBreak,
  ): AuditVerification {
    grow(tree, leaves);
    return result({ seq: seq.toString(), reason });
  }

  /**
   * Grows the rebuilt tree by a batch of checked leaves, stopping at every stored head (and at
   * the checkpoint's size) to compare roots, and compares the nodes the batch completed with
   * the stored ones (which proofs are served from).
   */
  private async extendChecked(
    tree: Rebuilt,
    leaves: readonly Buffer[],
    checkpoint?: AuditCheckpointHead,
  ): Promise<AuditVerification['brokenAt'] | undefined> {
    const end = tree.size + BigInt(leaves.length);
    const stops = (await this.repository.treeHeadsBetween(tree.size.toString(), end.toString())).map(
      (h): [bigint, string, AuditBreak] => [BigInt(h.treeSize), h.rootHash, 'tree_mismatch'],
    );
    if (checkpoint && 'treeSize' in checkpoint) {
      const at = BigInt(checkpoint.treeSize);
      if (at > tree.size && at <= end) stops.push([at, checkpoint.rootHash, 'checkpoint_mismatch']);
    }
    stops.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let offset = 0;
    for (const [at, root, reason] of stops) {
      const count = Number(at - tree.size);
      const nodesBroken = await this.growAndCompare(tree, leaves.slice(offset, offset + count));
      if (nodesBroken) return nodesBroken;
      offset += count;
      if (toHex(tree.root) !== root) return { seq: at.toString(), reason };
    }
    return this.growAndCompare(tree, leaves.slice(offset));
  }

  private async growAndCompare(
    tree: Rebuilt,
    leaves: readonly Buffer[],
  ): Promise<AuditVerification['brokenAt'] | undefined> {
    if (leaves.length === 0) return undefined;
    const nodes = grow(tree, leaves);
    const stored = await this.repository.nodeHashes(nodes);
    const byKey = new Map(stored.map((n) => [nodeKey({ level: n.level, index: BigInt(n.index) }), n.hash]));
    for (const node of nodes) {
      if (byKey.get(nodeKey(node)) !== toHex(node.hash)) {
        // The first leaf under the node that does not match.
        return { seq: ((node.index << BigInt(node.level)) + 1n).toString(), reason: 'tree_mismatch' };
      }
    }
    return undefined;
  }

  /** RFC 9162 inclusion proof of the event at `seq` in the tree of `treeSize` (default: the head). */
  async inclusionProof(seq: string, treeSize?: string): Promise<AuditInclusionProof> {
    const head = await this.head();
    const size = BigInt(treeSize ?? head.treeSize);
    const position = BigInt(seq);
    if (size > BigInt(head.treeSize)) throw new AuditProofRangeError('treeSize', head.treeSize);
    if (position > size) {
      if (position > BigInt(head.treeSize)) throw new AuditEventNotSequencedError();
      throw new AuditProofRangeError('seq', size.toString());
    }
    const index = position - 1n;
    const refs = inclusionRefs(index, size);
    const leafRef = { level: 0, index };
    const nodes = await storedNodes(this.repository, [...refs, leafRef]);
    return {
      seq,
      treeSize: size.toString(),
      leafHash: toHex(nodes.get(nodeKey(leafRef)) as Buffer),
      rootHash: toHex(await this.rootAt(size)),
      proof: inclusionProof(index, size, nodes).map(toHex),
    };
  }

  /** RFC 9162 consistency proof between the trees of `from` and `to` leaves (0 < from <= to <= head). */
  async consistencyProof(from: string, to: string): Promise<AuditConsistencyProof> {
    const head = await this.head();
    const m = BigInt(from);
    const n = BigInt(to);
    if (n > BigInt(head.treeSize)) throw new AuditProofRangeError('to', head.treeSize);
    if (m > n) throw new AuditProofRangeError('from', n.toString());
    const nodes = await storedNodes(this.repository, consistencyRefs(m, n));
    return {
      from: m.toString(),
      to: n.toString(),
      fromRoot: toHex(await this.rootAt(m)),
      toRoot: toHex(await this.rootAt(n)),
      proof: consistencyProof(m, n, nodes).map(toHex),
    };
  }

  /** The root of the tree of the first `size` leaves, from the stored perfect subtrees. */
  private async rootAt(size: bigint): Promise<Buffer> {
    const frontier = await frontierOf(this.repository, size);
    return extendTree(size, frontier, []).root;
  }
}

function checkpointSize(checkpoint?: AuditCheckpointHead): bigint | undefined {
  if (checkpoint === undefined) return undefined;
  return BigInt('treeSize' in checkpoint ? checkpoint.treeSize : checkpoint.seq);
}

function matchesEmpty(checkpoint: AuditCheckpointHead): boolean {
  return 'treeSize' in checkpoint
    ? checkpoint.rootHash === toHex(EMPTY_ROOT)
    : checkpoint.hash === AUDIT_GENESIS_HASH;
}

function isChainCheckpointMiss(
  checkpoint: AuditCheckpointHead | undefined,
  seq: bigint,
  event: AuditEventEntity,
): boolean {
  return checkpoint !== undefined && 'seq' in checkpoint && BigInt(checkpoint.seq) === seq
    ? event.hash !== checkpoint.hash
    : false;
}

/**
 * The leaf of an event, when its stored form checks out: a chained event (seq up to the
 * frozen chain head) must follow the chain and its leaf commit to its chain hash; a later
 * event must carry no chain hashes and its leaf commit to its content. Undefined otherwise.
 */
function checkLeaf(
  event: AuditEventEntity,
  seq: bigint,
  chain: AuditChainHeadRow,
  previousChainHash: string,
): Buffer | undefined {
  const chained = seq <= BigInt(chain.seq);
  if (chained) {
    if (event.prevHash !== previousChainHash || event.hash === null) return undefined;
    if (computeAuditHash(event.prevHash, { ...event, seq: seq.toString() }) !== event.hash) return undefined;
    if (seq === BigInt(chain.seq) && event.hash !== chain.hash) return undefined;
    if (event.leafHash !== chainedLeafHash(event.hash)) return undefined;
  } else {
    if (event.prevHash !== null || event.hash !== null) return undefined;
    if (event.leafHash !== computeLeafHash(event)) return undefined;
  }
  return fromHex(event.leafHash);
}

/** Grows the rebuilt tree in place; returns the perfect nodes the leaves completed. */
function grow(tree: Rebuilt, leaves: readonly Buffer[]): { level: number; index: bigint; hash: Buffer }[] {
  const grown = extendTree(tree.size, tree.frontier, leaves);
  tree.size = grown.size;
  tree.frontier = grown.frontier;
  tree.root = grown.root;
  return grown.nodes;
}
