import type { EntityManager } from 'typeorm';
import type { AuditRepository } from './audit.repository.js';
import { frontierRefs, nodeKey, type NodeRef } from './merkle/merkle.js';

export const toHex = (hash: Buffer): string => hash.toString('hex');
export const fromHex = (hex: string): Buffer => Buffer.from(hex, 'hex');

/**
 * The stored hashes of `refs`, keyed by nodeKey; throws when one is missing (a tree whose
 * nodes are gone cannot prove anything, and must not pretend to).
 */
export async function storedNodes(
  repository: AuditRepository,
  refs: readonly NodeRef[],
  manager?: EntityManager,
): Promise<Map<string, Buffer>> {
  const rows = await repository.nodeHashes(refs, manager);
  const nodes = new Map(
    rows.map((r) => [nodeKey({ level: r.level, index: BigInt(r.index) }), fromHex(r.hash)]),
  );
  const missing = refs.find((ref) => !nodes.has(nodeKey(ref)));
  if (missing) throw new Error(`audit tree node ${missing.level}/${missing.index} is missing`);
  return nodes;
}

/** The perfect subtrees that make up the tree of `size` leaves, largest first. */
export async function frontierOf(
  repository: AuditRepository,
  size: bigint,
  manager?: EntityManager,
): Promise<Buffer[]> {
  const refs = frontierRefs(size);
  const nodes = await storedNodes(repository, refs, manager);
  return refs.map((ref) => nodes.get(nodeKey(ref)) as Buffer);
}
