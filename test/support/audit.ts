import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { computeAuditHash } from '@orderops/audit';
import type { DataSource, EntityManager } from 'typeorm';
import { bearer } from './auth.js';

/** An audit event as stored, with snake_case columns. */
export interface StoredAuditEvent {
  seq: string;
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
  prev_hash: string;
  hash: string;
}

export async function storedEvents(ds: DataSource, action?: string): Promise<StoredAuditEvent[]> {
  return action === undefined
    ? ds.query<StoredAuditEvent[]>('SELECT * FROM audit_events ORDER BY seq')
    : ds.query<StoredAuditEvent[]>('SELECT * FROM audit_events WHERE action = $1 ORDER BY seq', [action]);
}

export async function chainHead(ds: DataSource): Promise<{ seq: string; hash: string }> {
  const [head] = await ds.query<{ seq: string; hash: string }[]>('SELECT seq, hash FROM audit_chain_head');
  return head;
}

/**
 * What an attacker holding the owner's credentials can do: switch the append-only triggers
 * off, change rows, and switch them on again, all in one transaction.
 */
export async function asOwnerWithoutTriggers<T>(
  ds: DataSource,
  fn: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  return ds.transaction(async (manager) => {
    await manager.query('ALTER TABLE audit_events DISABLE TRIGGER USER');
    await manager.query('ALTER TABLE audit_chain_head DISABLE TRIGGER USER');
    const result = await fn(manager);
    await manager.query('ALTER TABLE audit_events ENABLE TRIGGER USER');
    await manager.query('ALTER TABLE audit_chain_head ENABLE TRIGGER USER');
    return result;
  });
}

export interface VerifyBody {
  valid: boolean;
  checked: number;
  lastSeq: number;
  lastHash: string;
  brokenAt?: { seq: number; reason: string };
}

export async function verifyViaApi(app: NestFastifyApplication, token: string): Promise<VerifyBody> {
  const res = await app.inject({ method: 'GET', url: '/audit/verify', headers: bearer(token) });
  if (res.statusCode !== 200) throw new Error(`verify failed: ${res.statusCode} ${res.body}`);
  return res.json<VerifyBody>();
}

/**
 * The forger's best move: rewrite the chain from `tail[0]` on, changing details where `edit`
 * says so and recomputing every hash (and the head), so a plain verify still passes.
 */
export async function rewriteTail(
  ds: DataSource,
  tail: readonly StoredAuditEvent[],
  edit: (event: StoredAuditEvent) => Record<string, unknown>,
): Promise<void> {
  await asOwnerWithoutTriggers(ds, async (m) => {
    let prev = tail[0].prev_hash;
    for (const e of tail) {
      const details = edit(e);
      const hash = computeAuditHash(prev, {
        seq: e.seq,
        id: e.id,
        at: e.at,
        actor: e.actor,
        actorType: e.actor_type,
        action: e.action,
        targetType: e.target_type,
        targetId: e.target_id,
        outcome: e.outcome,
        requestId: e.request_id,
        details: details as never,
      });
      await m.query('UPDATE audit_events SET details = $2::jsonb, prev_hash = $3, hash = $4 WHERE seq = $1', [
        e.seq,
        JSON.stringify(details),
        prev,
        hash,
      ]);
      prev = hash;
    }
    await m.query('UPDATE audit_chain_head SET hash = $1', [prev]);
  });
}
