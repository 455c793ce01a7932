import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Keys of throttled events already recorded in their time window (one per key and window),
 * shared through the database so several replicas record a throttled event once.
 */
@Entity({ name: 'audit_throttle' })
export class AuditThrottleEntity {
  /** SHA-256 hex of the event's throttle key and window. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  key!: string;

  @Index('IDX_audit_throttle_expires')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
