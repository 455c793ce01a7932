import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The hash of a complete perfect subtree of the audit Merkle tree: `level` >= 1 covers the
 * leaves [idx * 2^level, (idx + 1) * 2^level). Level 0 is `audit_events.leaf_hash`. Written
 * once by the sequencer, never changed (triggers refuse it).
 */
@Entity({ name: 'audit_tree_nodes' })
@Check('CHK_audit_tree_nodes_level', '"level" BETWEEN 1 AND 62')
export class AuditTreeNodeEntity {
  @PrimaryColumn({ type: 'smallint', primaryKeyConstraintName: 'PK_audit_tree_nodes' })
  level!: number;

  /** bigint as a decimal string. */
  @PrimaryColumn({ type: 'bigint', primaryKeyConstraintName: 'PK_audit_tree_nodes' })
  idx!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;
}

/** The tree after a sequencing batch: its size, root (RFC 9162 MTH, hex) and time. Append-only. */
@Entity({ name: 'audit_tree_heads' })
@Check('CHK_audit_tree_heads_size', '"tree_size" > 0')
export class AuditTreeHeadEntity {
  @PrimaryColumn({ name: 'tree_size', type: 'bigint', primaryKeyConstraintName: 'PK_audit_tree_heads' })
  treeSize!: string;

  @Column({ name: 'root_hash', type: 'varchar', length: 64 })
  rootHash!: string;

  @Column({ type: 'timestamptz' })
  at!: Date;
}
