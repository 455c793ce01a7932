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

/** What the browser still has to do after the password passed. */
export type SignInStage = 'verify' | 'enrol';

/**
 * A sign-in whose password passed and whose second factor is still to come (migration
 * 1733300000022). Keyed by the hash of the browser's pre-session cookie, so the step only
 * continues in the browser that typed the password; it holds no password, lives minutes and
 * is spent (`used_at`) by the one success that starts the session.
 */
@Entity({ name: 'auth_sign_in_steps' })
export class SignInStepEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_auth_sign_in_steps' })
  id!: string;

  @Index('UQ_auth_sign_in_steps_pre_session', { unique: true })
  @Column({ name: 'pre_session_hash', type: 'varchar', length: 64 })
  preSessionHash!: string;

  @Index('IDX_auth_sign_in_steps_operator')
  @Column({ name: 'operator_id', type: 'uuid' })
  operatorId!: string;

  @ManyToOne(() => OperatorEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'operator_id', foreignKeyConstraintName: 'FK_auth_sign_in_steps_operator' })
  operator?: OperatorEntity;

  /** The client the authorization request named: the step continues only that request's client. */
  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId!: string;

  @Column({ type: 'varchar', length: 16 })
  stage!: SignInStage;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;
}
