import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The single row naming the newest event. Appends lock it FOR UPDATE inside the writer's
 * transaction, which serializes them across connections and replicas, on the embedded
 * database too (where advisory locks exclude nothing: every connection shares one session).
 */
@Entity({ name: 'audit_chain_head' })
@Check('CHK_audit_chain_head_singleton', '"singleton" = 1')
export class AuditChainHeadEntity {
  @PrimaryColumn({ type: 'smallint' })
  singleton!: number;

  @Column({ type: 'bigint' })
  seq!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;
}
