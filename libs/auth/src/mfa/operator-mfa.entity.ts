import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { OperatorEntity } from '../operators/operator.entity.js';

/** An operator's TOTP second factor: pending until `confirmedAt`, the secret sealed. */
@Entity({ name: 'operator_mfa' })
export class OperatorMfaEntity {
  @PrimaryColumn({ name: 'operator_id', type: 'uuid', primaryKeyConstraintName: 'PK_operator_mfa' })
  operatorId!: string;

  // Many-to-one in TypeORM's terms: the primary key already makes it one per operator, and a
  // one-to-one would add a second unique constraint on the same column.
  @ManyToOne(() => OperatorEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'operator_id', foreignKeyConstraintName: 'FK_operator_mfa_operator' })
  operator?: OperatorEntity;

  /** The 160-bit secret, sealed under the master key (context `operator_mfa|secret|<operator id>`). */
  @Column({ name: 'secret_sealed', type: 'text' })
  secretSealed!: string;

  @Column({ name: 'confirmed_at', type: 'timestamptz', nullable: true })
  confirmedAt!: Date | null;

  /** The RFC 6238 time step of the last accepted code: that step and older ones never pass again. */
  @Column({ name: 'last_used_step', type: 'bigint', nullable: true })
  lastUsedStep!: string | null;

  /** Consecutive wrong codes (TOTP or recovery); from a threshold on, each sets a lock. */
  @Column({ name: 'failed_attempts', type: 'integer', default: 0 })
  failedAttempts!: number;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
