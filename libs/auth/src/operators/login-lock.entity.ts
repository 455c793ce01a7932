import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { OperatorEntity } from './operator.entity.js';

/**
 * Consecutive failed sign-ins of one operator from one client address, and the lock they
 * set. Keyed by (operator, client) so that an attacker at one address locks out only that
 * address, never the owner elsewhere; in the database, so every replica shares it. The
 * client is a keyed fingerprint (see clientKeyOf), never the address.
 */
@Entity({ name: 'login_locks' })
export class LoginLockEntity {
  @PrimaryColumn({ name: 'operator_id', type: 'uuid', primaryKeyConstraintName: 'PK_login_locks' })
  operatorId!: string;

  @ManyToOne(() => OperatorEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'operator_id', foreignKeyConstraintName: 'FK_login_locks_operator' })
  operator?: OperatorEntity;

  @PrimaryColumn({
    name: 'client_key',
    type: 'varchar',
    length: 64,
    primaryKeyConstraintName: 'PK_login_locks',
  })
  clientKey!: string;

  @Column({ name: 'failed_count', type: 'integer', default: 0 })
  failedCount!: number;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
