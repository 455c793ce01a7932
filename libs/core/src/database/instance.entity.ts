import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * One row naming this deployment's database: created by the first migration, it lets
 * operators and later modules tell one OrderOps database from another.
 */
@Entity({ name: 'orderops_instance' })
export class InstanceEntity {
  @PrimaryColumn({ type: 'smallint', default: 1 })
  singleton!: number;

  @Column({ name: 'instance_id', type: 'uuid', default: () => 'gen_random_uuid()' })
  instanceId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
