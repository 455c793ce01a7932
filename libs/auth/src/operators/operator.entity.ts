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

  /**
   * When the last change that voids tokens was made (whole seconds, rounded up). The check
   * is `tokenGeneration`; this stays for tokens that carry no generation (issued before it
   * existed, or by a replica of the previous version during a rolling upgrade).
   */
  @Column({ name: 'tokens_valid_after', type: 'timestamptz' })
  tokensValidAfter!: Date;

  /**
   * Bumped by every change that voids tokens (scopes, disable, password): a token or refresh
   * family carries the generation it was issued under and dies when it is no longer current,
   * however close in time the change was.
   */
  @Column({ name: 'token_generation', type: 'integer', default: 0 })
  tokenGeneration!: number;

  /** Consecutive failed sign-ins from any address; from a threshold on, sign-in slows (never locks). */
  @Column({ name: 'failed_login_count', type: 'integer', default: 0 })
  failedLoginCount!: number;

  /** The latest end of a lock on any client address (for the admin view; locks live in login_locks). */
  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
