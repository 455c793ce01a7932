import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { AuditDetails } from './audit-hash.js';

/**
 * One event of the append-only, hash-chained audit trail. Rows are never updated or
 * deleted (triggers refuse it); `seq` is contiguous from 1, and `hash` chains each event
 * to the one before (see audit-hash.ts).
 */
@Entity({ name: 'audit_events' })
@Check('CHK_audit_events_outcome', `"outcome" IN ('success', 'failure', 'denied')`)
@Check('CHK_audit_events_actor_type', `"actor_type" IN ('operator', 'client', 'system', 'anonymous')`)
export class AuditEventEntity {
  /** bigint: TypeORM reads it as a decimal string. */
  @PrimaryColumn({ type: 'bigint' })
  seq!: string;

  @Index('UQ_audit_events_id', { unique: true })
  @Column({ type: 'uuid' })
  id!: string;

  @Index('IDX_audit_events_at')
  @Column({ type: 'timestamptz' })
  at!: Date;

  @Index('IDX_audit_events_actor')
  @Column({ type: 'varchar', length: 128 })
  actor!: string;

  @Column({ name: 'actor_type', type: 'varchar', length: 16 })
  actorType!: string;

  @Index('IDX_audit_events_action')
  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ name: 'target_type', type: 'varchar', length: 32, nullable: true })
  targetType!: string | null;

  @Index('IDX_audit_events_target')
  @Column({ name: 'target_id', type: 'varchar', length: 128, nullable: true })
  targetId!: string | null;

  @Column({ type: 'varchar', length: 8 })
  outcome!: string;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId!: string | null;

  @Column({ type: 'jsonb' })
  details!: AuditDetails;

  /** Unique: two events chaining from the same predecessor would be a fork. */
  @Index('UQ_audit_events_prev_hash', { unique: true })
  @Column({ name: 'prev_hash', type: 'varchar', length: 64 })
  prevHash!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;
}
