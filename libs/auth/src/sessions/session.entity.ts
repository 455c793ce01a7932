import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { OperatorEntity } from '../operators/operator.entity.js';

/**
 * A browser session behind the session cookie (migration 1733300000011). The cookie holds a
 * 256-bit secret; only its SHA-256 is stored, so a copy of the table signs nobody in. `id`
 * is the session's public handle (`sid` in audit events and, later, in ID tokens).
 */
@Entity({ name: 'auth_sessions' })
export class SessionEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_auth_sessions' })
  id!: string;

  @Index('UQ_auth_sessions_secret', { unique: true })
  @Column({ name: 'secret_hash', type: 'varchar', length: 64 })
  secretHash!: string;

  @Index('IDX_auth_sessions_operator')
  @Column({ name: 'operator_id', type: 'uuid' })
  operatorId!: string;

  @ManyToOne(() => OperatorEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'operator_id', foreignKeyConstraintName: 'FK_auth_sessions_operator' })
  operator?: OperatorEntity;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt!: Date;

  /** Moves forward with each use, never past `expiresAt`. */
  @Column({ name: 'idle_expires_at', type: 'timestamptz' })
  idleExpiresAt!: Date;

  /** The absolute end, fixed at sign-in. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  /** When the operator last proved who they are (OIDC `auth_time`). */
  @Column({ name: 'auth_time', type: 'timestamptz' })
  authTime!: Date;

  /** How (RFC 8176): `pwd`; the second factor adds `otp`. */
  @Column({ type: 'text', array: true })
  amr!: string[];

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
