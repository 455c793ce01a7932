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
