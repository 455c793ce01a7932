import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export const IMPORT_STATUSES = ['running', 'completed', 'failed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/**
 * One order-file import: who, which file (SHA-256 of its bytes), how it went. Written
 * outside the import's own transaction, so a rolled-back import still shows as failed.
 * Holds counts and line numbers only, never a value from the file.
 */
@Entity({ name: 'imports' })
// One completed import per file unless a duplicate was explicitly allowed; created by the
// migration (a partial index TypeORM cannot compare), so the schema builder leaves it alone.
@Index('UQ_imports_sha256_completed', { synchronize: false })
export class ImportEntity {
  @PrimaryColumn({ type: 'varchar', length: 30 })
  id!: string;

  @Column({ name: 'created_by', type: 'varchar', length: 80 })
  createdBy!: string;

  /** Who the import belongs to (see `Reach`); duplicates are detected per owner. */
  @Column({ type: 'varchar', length: 100 })
  owner!: string;

  /** Known once the whole file has been read. */
  @Index('IDX_imports_sha256')
  @Column({ type: 'char', length: 64, nullable: true })
  sha256!: string | null;

  @Column({ type: 'varchar', length: 16 })
  status!: ImportStatus;

  @Column({ type: 'boolean' })
  strict!: boolean;

  @Column({ name: 'allow_duplicate', type: 'boolean' })
  allowDuplicate!: boolean;

  @Column({ type: 'integer', default: 0 })
  rows!: number;

  @Column({ type: 'integer', default: 0 })
  accepted!: number;

  @Column({ type: 'integer', default: 0 })
  rejected!: number;

  @Column({ type: 'integer', default: 0 })
  orders!: number;

  /** The report as answered (rejects by line and field, no values), or why the import failed. */
  @Column({ type: 'jsonb', nullable: true })
  report!: Record<string, unknown> | null;

  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' })
  startedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}
