import { Check, Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * One row naming this deployment's database: created by the first migration, it lets
 * operators and later modules tell one OrderOps database from another.
 */
@Entity({ name: 'orderops_instance' })
@Check('CHK_orderops_instance_singleton', '"singleton" = 1')
export class InstanceEntity {
  @PrimaryColumn({ type: 'smallint', default: 1 })
  singleton!: number;

  @Column({ name: 'instance_id', type: 'uuid', generated: 'uuid' })
  instanceId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
