import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A person who operates OrderOps (password grant). */
@Entity({ name: 'operators' })
export class OperatorEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Lower-cased login name; unique. */
  @Index('UQ_operators_username', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  username!: string;

  @Column({ name: 'password_hash', type: 'text' })
  passwordHash!: string;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt!: Date | null;

  /** Tokens issued before this instant are void (password change, disable, scope change). */
  @Column({ name: 'tokens_valid_after', type: 'timestamptz' })
  tokensValidAfter!: Date;

  @Column({ name: 'failed_login_count', type: 'integer', default: 0 })
  failedLoginCount!: number;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
