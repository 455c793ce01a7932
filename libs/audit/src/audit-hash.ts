import { createHash } from 'node:crypto';

/** A JSON value as `details` may hold it: no floats, no undefined, nothing jsonb would alter. */
export type AuditJson = string | number | boolean | null | AuditJson[] | { [key: string]: AuditJson };
export type AuditDetails = { [key: string]: AuditJson };

export const AUDIT_OUTCOMES = ['success', 'failure', 'denied'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export const AUDIT_ACTOR_TYPES = ['operator', 'client', 'system', 'anonymous'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];

/** The chain's starting point: `prev_hash` of event 1. SHA-256 of "orderops/audit/genesis/v1". */
export const AUDIT_GENESIS_HASH = createHash('sha256')
  .update('orderops/audit/genesis/v1', 'utf8')
  .digest('hex');

/** Every field of an event except `prev_hash` and `hash`, exactly as stored. */
export interface HashedAuditFields {
  readonly seq: string;
  readonly id: string;
  readonly at: Date;
  readonly actor: string;
  readonly actorType: string;
  readonly action: string;
  readonly targetType: string | null;
  readonly targetId: string | null;
  readonly outcome: string;
  readonly requestId: string | null;
  readonly details: AuditDetails;
}

/** JSON with object keys sorted at every depth: jsonb does not keep key order, so the hash must not depend on it. */
export function canonicalJson(value: AuditJson): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
}

/**
 * The canonical serialization of an event: a JSON array in a fixed field order, versioned,
 * with `at` as an ISO-8601 UTC string with milliseconds. Nulls stay nulls, so a missing
 * target can never be confused with an empty one.
 */
export function canonicalAuditEvent(fields: HashedAuditFields): string {
  return canonicalJson([
    'orderops-audit-v1',
    fields.seq,
    fields.id,
    fields.at.toISOString(),
    fields.actor,
    fields.actorType,
    fields.action,
    fields.targetType,
    fields.targetId,
    fields.outcome,
    fields.requestId,
    fields.details,
  ]);
}

/** hash = SHA-256(prev_hash || canonical serialization of every other field), lower-case hex. */
export function computeAuditHash(prevHash: string, fields: HashedAuditFields): string {
  return createHash('sha256')
    .update(prevHash, 'utf8')
    .update(canonicalAuditEvent(fields), 'utf8')
    .digest('hex');
}

/** The fields a Merkle-log event commits to: everything but its position and chain hashes. */
export type LeafAuditFields = Omit<HashedAuditFields, 'seq'>;

/**
 * The canonical form of an event of the Merkle log, as in v1 but without `seq`: an event is
 * hashed by its writer before it has a position; the tree commits to the order.
 */
export function canonicalLeafEvent(fields: LeafAuditFields): string {
  return canonicalJson([
    'orderops-audit-v2',
    fields.id,
    fields.at.toISOString(),
    fields.actor,
    fields.actorType,
    fields.action,
    fields.targetType,
    fields.targetId,
    fields.outcome,
    fields.requestId,
    fields.details,
  ]);
}

const LEAF_PREFIX = Buffer.from([0]);

/** RFC 9162 leaf hash of an event: SHA-256(0x00 || canonical v2 event), lower-case hex. */
export function computeLeafHash(fields: LeafAuditFields): string {
  return createHash('sha256').update(LEAF_PREFIX).update(canonicalLeafEvent(fields), 'utf8').digest('hex');
}

/**
 * The leaf of an event chained before the Merkle log: SHA-256(0x00 || "orderops-audit-v1:" ||
 * its chain hash in hex). The migration computes the same in SQL; the chain hash itself still
 * covers the event's content and predecessor.
 */
export function chainedLeafHash(chainHash: string): string {
  return createHash('sha256')
    .update(LEAF_PREFIX)
    .update(`orderops-audit-v1:${chainHash}`, 'utf8')
    .digest('hex');
}
