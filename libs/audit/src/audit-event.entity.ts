import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { AuditDetails } from './audit-hash.js';

/**
 * One event of the append-only audit log. A writer inserts it in the transaction of the
 * change it records, unsequenced; the sequencer later gives it its `seq` (contiguous from 1,
 * its leaf position + 1) once, the only change a trigger allows. `leaf_hash` commits to its
 * content (see audit-hash.ts); events from before the Merkle log also keep their chain hashes.
 */
@Entity({ name: 'audit_events' })
@Index('IDX_audit_events_unsequenced', ['arrival'], { where: '"seq" IS NULL' })
@Check('CHK_audit_events_outcome', `"outcome" IN ('success', 'failure', 'denied')`)
@Check('CHK_audit_events_actor_type', `"actor_type" IN ('operator', 'client', 'system', 'anonymous')`)
export class AuditEventEntity {
  /** Taken from a sequence at insert: listing order, not log position. bigint as a decimal string. */
  @PrimaryGeneratedColumn('increment', {
    type: 'bigint',
    primaryKeyConstraintName: 'PK_audit_events_arrival',
  })
  arrival!: string;

  /** Position in the log, from 1; null until the sequencer integrated the event. */
  @Index('UQ_audit_events_seq', { unique: true })
  @Column({ type: 'bigint', nullable: true })
  seq!: string | null;

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

  /** SHA-256(0x00 || canonical event), hex: the event's leaf in the Merkle tree. */
  @Column({ name: 'leaf_hash', type: 'varchar', length: 64 })
  leafHash!: string;

  /** Chained events only (before the Merkle log): unique, two events chaining from one predecessor would be a fork. */
  @Index('UQ_audit_events_prev_hash', { unique: true })
  @Column({ name: 'prev_hash', type: 'varchar', length: 64, nullable: true })
  prevHash!: string | null;

  /** Chained events only: SHA-256(prev_hash || canonical v1 event). */
  @Column({ type: 'varchar', length: 64, nullable: true })
  hash!: string | null;
}
