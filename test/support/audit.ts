import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuditSequencer, computeLeafHash } from '@orderops/audit';
import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { bearer } from './auth.js';

/** An audit event as stored, with snake_case columns. */
export interface StoredAuditEvent {
  arrival: string;
  seq: string | null;
  id: string;
  at: Date;
  actor: string;
  actor_type: string;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: string;
  request_id: string | null;
  details: Record<string, unknown>;
  leaf_hash: string;
  prev_hash: string | null;
  hash: string | null;
}

/** Every event (or those of one action) in arrival order, sequenced or not. */
export async function storedEvents(ds: DataSource, action?: string): Promise<StoredAuditEvent[]> {
  return action === undefined
    ? ds.query<StoredAuditEvent[]>('SELECT * FROM audit_events ORDER BY arrival')
    : ds.query<StoredAuditEvent[]>('SELECT * FROM audit_events WHERE action = $1 ORDER BY arrival', [action]);
}

/** The leaf hash a stored event's content gives (what verify recomputes). */
export function storedLeafHash(e: StoredAuditEvent): string {
  return computeLeafHash({
    id: e.id,
    at: e.at,
    actor: e.actor,
    actorType: e.actor_type,
    action: e.action,
    targetType: e.target_type,
    targetId: e.target_id,
    outcome: e.outcome,
    requestId: e.request_id,
    details: e.details as never,
  });
}

/** Sequenced events in log order. */
export async function loggedEvents(ds: DataSource): Promise<StoredAuditEvent[]> {
  return ds.query<StoredAuditEvent[]>('SELECT * FROM audit_events WHERE seq IS NOT NULL ORDER BY seq');
}

/** Integrates every committed event now, as the background sequencer would within moments. */
export async function sequenceNow(app: NestFastifyApplication): Promise<void> {
  await app.get(AuditSequencer).drain();
}

export interface StoredTreeHead {
  tree_size: string;
  root_hash: string;
}

export async function latestTreeHead(ds: DataSource): Promise<StoredTreeHead> {
  const [head] = await ds.query<StoredTreeHead[]>(
    'SELECT tree_size, root_hash FROM audit_tree_heads ORDER BY tree_size DESC LIMIT 1',
  );
  return head;
}

const AUDIT_TABLES = ['audit_events', 'audit_chain_head', 'audit_tree_nodes', 'audit_tree_heads'];

/**
 * What an attacker holding the owner's credentials can do: switch the append-only triggers
 * off, change rows, and switch them on again, all in one transaction.
 */
export async function asOwnerWithoutTriggers<T>(
  ds: DataSource,
  fn: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  return ds.transaction(async (manager) => {
    for (const table of AUDIT_TABLES) await manager.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
    const result = await fn(manager);
    for (const table of AUDIT_TABLES) await manager.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
    return result;
  });
}

export interface VerifyBody {
  valid: boolean;
  checked: number;
  lastSeq: number;
  rootHash: string;
  pending: number;
  brokenAt?: { seq: number; reason: string };
}

export async function verifyViaApi(app: NestFastifyApplication, token: string): Promise<VerifyBody> {
  const res = await app.inject({ method: 'GET', url: '/audit/verify', headers: bearer(token) });
  if (res.statusCode !== 200) throw new Error(`verify failed: ${res.statusCode} ${res.body}`);
  return res.json<VerifyBody>();
}

const sha256 = (...parts: Buffer[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

/**
 * Every perfect subtree of a list of leaves, computed here from scratch (the forger needs no
 * help from the service): level L, index i covers leaves [i * 2^L, (i + 1) * 2^L).
 */
function perfectNodes(leaves: readonly Buffer[]): { level: number; idx: number; hash: Buffer }[] {
  const nodes: { level: number; idx: number; hash: Buffer }[] = [];
  let row = [...leaves];
  for (let level = 1; row.length > 1; level++) {
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < row.length; i += 2) next.push(sha256(Buffer.from([1]), row[i], row[i + 1]));
    next.forEach((hash, idx) => nodes.push({ level, idx, hash }));
    row = next;
  }
  return nodes;
}

function rootOf(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(Buffer.from([1]), rootOf(leaves.slice(0, k)), rootOf(leaves.slice(k)));
}

/**
 * The forger's best move: edit events (new details where `edit` says so), recompute their
 * leaf hashes, rebuild every tree node and replace the stored heads with one head of the
 * rewritten log, so a plain verify passes. Only a tree head kept outside can tell.
 */
export async function rewriteLog(
  ds: DataSource,
  edit: (event: StoredAuditEvent) => Record<string, unknown>,
): Promise<void> {
  await asOwnerWithoutTriggers(ds, async (m) => {
    const events = await m.query<StoredAuditEvent[]>(
      'SELECT * FROM audit_events WHERE seq IS NOT NULL ORDER BY seq',
    );
    const leaves: Buffer[] = [];
    for (const e of events) {
      const details = edit(e);
      if (e.prev_hash === null && JSON.stringify(details) !== JSON.stringify(e.details)) {
        const leaf = storedLeafHash({ ...e, details });
        await m.query('UPDATE audit_events SET details = $2::jsonb, leaf_hash = $3 WHERE seq = $1', [
          e.seq,
          JSON.stringify(details),
          leaf,
        ]);
        e.leaf_hash = leaf;
      }
      leaves.push(Buffer.from(e.leaf_hash, 'hex'));
    }
    await m.query('DELETE FROM audit_tree_nodes');
    await m.query('DELETE FROM audit_tree_heads');
    for (const n of perfectNodes(leaves)) {
      await m.query('INSERT INTO audit_tree_nodes (level, idx, hash) VALUES ($1, $2, $3)', [
        n.level,
        n.idx,
        n.hash.toString('hex'),
      ]);
    }
    if (leaves.length > 0) {
      await m.query('INSERT INTO audit_tree_heads (tree_size, root_hash, at) VALUES ($1, $2, now())', [
        leaves.length,
        rootOf(leaves).toString('hex'),
      ]);
    }
  });
}
