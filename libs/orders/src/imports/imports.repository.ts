import { ownerWhere, type Reach } from '@orderops/access';
import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import type { ImportReport } from './import-report.js';
import { ImportEntity, type ImportStatus } from './import.entity.js';

/** The partial unique index that allows one completed import per owner and file. */
const DUPLICATE_INDEX = 'UQ_imports_sha256_completed';

/** A new import's bookkeeping row, written before its own transaction starts. */
export interface NewImport {
  readonly id: string;
  readonly createdBy: string;
  readonly owner: string;
  readonly strict: boolean;
  readonly allowDuplicate: boolean;
}

/** How an import ended, as stored on its row. */
export interface ImportOutcome {
  readonly status: ImportStatus;
  readonly sha256: string | null;
  readonly rows: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly orders: number;
  /** The report as answered (rejects by line and field, never a value from the file). */
  readonly report: ImportReport;
}

/** The only code that reads or writes `imports`. */
@Injectable()
export class ImportsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async create(row: NewImport, manager?: EntityManager): Promise<void> {
    await (manager ?? this.dataSource.manager).getRepository(ImportEntity).insert({
      ...row,
      sha256: null,
      status: 'running',
      report: null,
      finishedAt: null,
    });
  }

  /** The import if `reach` covers it. */
  async getById(id: string, reach: Reach): Promise<ImportEntity | undefined> {
    const row = await this.dataSource.getRepository(ImportEntity).findOneBy({ id, ...ownerWhere(reach) });
    return row ?? undefined;
  }

  /**
   * Locks the import's row until the caller's transaction ends: the sign, for the crash
   * sweep (`failAbandoned`), that the import is alive.
   */
  async lock(id: string, manager: EntityManager): Promise<void> {
    await manager.query(`SELECT 1 FROM "imports" WHERE "id" = $1 FOR UPDATE`, [id]);
  }

  /** The owner's first completed import of the file with this SHA-256: duplicates are per owner. */
  async getFirstCompleted(
    owner: string,
    sha256: string,
    manager?: EntityManager,
  ): Promise<string | undefined> {
    const [row] = await (manager ?? this.dataSource.manager).query<{ id: string }[]>(
      `SELECT "id" FROM "imports" WHERE "owner" = $1 AND "sha256" = $2 AND "status" = 'completed'
        ORDER BY "started_at", "id" LIMIT 1`,
      [owner, sha256],
    );
    return row?.id;
  }

  async finish(id: string, outcome: ImportOutcome, manager?: EntityManager): Promise<void> {
    await (manager ?? this.dataSource.manager)
      .getRepository(ImportEntity)
      .update({ id }, { ...outcome, report: { ...outcome.report }, finishedAt: new Date() });
  }

  /**
   * Marks failed the imports left `running` longer than `olderThan` (an interval) whose row
   * is not locked: their process died, so their transaction is gone with nothing committed.
   */
  async failAbandoned(olderThan: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE "imports" SET "status" = 'failed', "finished_at" = now(),
         "report" = jsonb_build_object('id', "id", 'status', 'failed',
           'error', jsonb_build_object('code', 'import-abandoned', 'detail', 'The import stopped before it finished.'))
       WHERE "id" IN (SELECT "id" FROM "imports" WHERE "status" = 'running'
                        AND "started_at" < now() - $1::interval FOR UPDATE SKIP LOCKED)`,
      [olderThan],
    );
  }

  /** Whether `error` is a second completed import of one file committing after the first. */
  isDuplicateFile(error: unknown): boolean {
    if (!(error instanceof QueryFailedError)) return false;
    const driverError = error.driverError as { code?: string; constraint?: string };
    return driverError.code === '23505' && driverError.constraint === DUPLICATE_INDEX;
  }
}
