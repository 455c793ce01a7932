import { type Reach } from '@orderops/access';
import { Injectable, Logger } from '@nestjs/common';
import { AuditService, type AuditActor } from '@orderops/audit';
import { AppError, InjectConfig, Metrics, type AppConfig } from '@orderops/core';
import { CustomersService } from '@orderops/pii';
import { performance } from 'node:perf_hooks';
import { DataSource, type EntityManager } from 'typeorm';
import { ulid } from 'ulid';
import {
  ImportDuplicateError,
  ImportExternalRefRaceError,
  ImportNotFoundError,
  ImportRejectedError,
  InvalidImportIdError,
} from '../orders.errors.js';
import { OrderPlacementService } from '../orders/order-placement.service.js';
import type { ImportStatus } from './import.entity.js';
import { ImportTally, type ImportReport } from './import-report.js';
import { ImportRun, type ImportProgress } from './import-run.js';
import type { ImportSource } from './import-source.js';
import { ImportsRepository } from './imports.repository.js';
import { decodeCursor, encodeCursor } from '../orders/order-cursor.js';
import { OrdersRepository } from '../orders/orders.repository.js';

export const IMPORT_ID_PATTERN = /^IMP-[0-9A-HJKMNP-TV-Z]{26}$/;

/** A `running` import older than this whose transaction is gone (crash) is marked failed. */
const ABANDONED_AFTER = '15 minutes';

export interface ImportOptions {
  readonly strict: boolean;
  readonly allowDuplicate: boolean;
  readonly onProgress?: (progress: ImportProgress) => void;
}

/** Who runs an import: the `created_by` of its orders, the audit actor, and its owner. */
export interface ImportRequester {
  readonly createdBy: string;
  readonly actor: AuditActor;
  /** The import, its orders and its new customers belong to `reach.owner`. */
  readonly reach: Reach;
}

export interface StoredImport extends Omit<ImportReport, 'status'> {
  readonly status: ImportStatus;
  readonly createdBy: string;
  readonly sha256: string | null;
  readonly strict: boolean;
  readonly allowDuplicate: boolean;
  readonly startedAt: string;
  readonly finishedAt: string | null;
}

/**
 * Order-file imports: the whole file in one transaction (all its orders or none), with a
 * bookkeeping row written outside it so that a rolled-back import still reads `failed`.
 */
@Injectable()
export class ImportsService {
  private readonly logger = new Logger('Imports');

  constructor(
    private readonly dataSource: DataSource,
    private readonly imports: ImportsRepository,
    private readonly placement: OrderPlacementService,
    private readonly orders: OrdersRepository,
    private readonly customers: CustomersService,
    private readonly audit: AuditService,
    @InjectConfig() private readonly config: AppConfig,
    metrics: Metrics,
  ) {
    this.finished = metrics.closedCounter(
      'orderops_imports_total',
      'Order imports finished, by status.',
      'status',
      ['completed', 'failed'],
    );
    this.rows = metrics.closedCounter(
      'orderops_import_rows_total',
      'Imported rows: accepted (committed as orders) or rejected.',
      'outcome',
      ['accepted', 'rejected'],
    );
    this.took = metrics.histogram(
      'orderops_import_duration_seconds',
      'Time from the upload arriving to the import ending (the file received included), by status.',
      [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      { name: 'status', values: ['completed', 'failed'] as const },
    );
  }

  private readonly finished: (status: 'completed' | 'failed') => void;
  private readonly rows: (outcome: 'accepted' | 'rejected', by?: number) => void;
  private readonly took: (seconds: number, status: 'completed' | 'failed') => void;

  assertId(id: string): void {
    if (!IMPORT_ID_PATTERN.test(id)) throw new InvalidImportIdError();
  }

  async import(
    requester: ImportRequester,
    source: ImportSource,
    options: ImportOptions,
  ): Promise<ImportReport> {
    const started = performance.now();
    const id = `IMP-${ulid()}`;
    // Every byte is here before the database is touched: no connection or transaction
    // waits on a client's network. A file that did not arrive is recorded as failed below.
    const notReceived = await source.receive().then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error : new Error('the upload failed')),
    );
    await this.imports.failAbandoned(ABANDONED_AFTER);
    await this.imports.create({
      id,
      createdBy: requester.createdBy,
      owner: requester.reach.owner,
      strict: options.strict,
      allowDuplicate: options.allowDuplicate,
    });
    const tally = new ImportTally();
    const run = new ImportRun(tally, {
      placer: {
        createdBy: requester.createdBy,
        owner: requester.reach.owner,
        actor: requester.actor,
        importId: id,
      },
      strict: options.strict,
      maxBytes: this.config.importMaxBytes,
      defaultCurrency: this.config.defaultCurrency,
      onProgress: options.onProgress,
    });
    try {
      if (notReceived !== undefined) throw notReceived;
      const report = await this.dataSource.transaction(async (manager) => {
        // Held until the end: tells a crash sweep (failAbandoned) that this import is alive.
        await this.imports.lock(id, manager);
        const resolver = this.customers.batchResolver(manager, requester.reach.owner);
        await run.execute(source.open(), manager, resolver, this.placement);
        const sha256 = run.sha256 ?? null;
        if (!options.allowDuplicate && sha256 !== null) {
          const first = await this.imports.getFirstCompleted(requester.reach.owner, sha256, manager);
          if (first !== undefined) throw new ImportDuplicateError(first);
        }
        if (options.strict && tally.rejected > 0) {
          throw new ImportRejectedError(tally.report(id, 'failed', performance.now() - started));
        }
        const completed = tally.report(id, 'completed', performance.now() - started);
        await this.store(manager, id, completed, sha256);
        await this.audit.record(manager, {
          action: 'import.completed',
          actor: requester.actor,
          target: { type: 'import', id },
          details: {
            rows: completed.rows,
            accepted: completed.accepted,
            rejected: completed.rejected,
            orders: completed.orders,
            // Customers an import creates are counted here rather than one event each.
            customersCreated: resolver.created,
            strict: options.strict,
          },
        });
        return completed;
      });
      this.logger.log(
        {
          importId: id,
          status: report.status,
          rows: report.rows,
          rejected: report.rejected,
          orders: report.orders,
        },
        'Import completed',
      );
      this.finished('completed');
      this.took((performance.now() - started) / 1000, 'completed');
      this.rows('accepted', report.accepted);
      this.rows('rejected', report.rejected);
      return report;
    } catch (thrown) {
      const error = await this.explain(thrown, requester.reach.owner, run.sha256);
      await this.fail(id, requester, tally, error, run.sha256 ?? null, performance.now() - started);
      throw error;
    }
  }

  /**
   * A page of the ids of the orders import `id` created, oldest first, if `reach` covers the
   * import (any other is not found, like a missing id).
   */
  async orderIds(
    id: string,
    reach: Reach,
    page: { limit?: number; cursor?: string },
  ): Promise<{ items: string[]; nextCursor: string | null }> {
    this.assertId(id);
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    if (!(await this.imports.getById(id, reach))) throw new ImportNotFoundError();
    const limit = page.limit ?? 100;
    const ids = await this.orders.idsOfImport(id, after, limit + 1);
    const items = ids.slice(0, limit);
    return { items, nextCursor: ids.length > limit ? encodeCursor(items[items.length - 1]) : null };
  }

  /** The import if `reach` covers it; any other is not found, exactly like a missing id. */
  async get(id: string, reach: Reach): Promise<StoredImport> {
    this.assertId(id);
    const row = await this.imports.getById(id, reach);
    if (!row) throw new ImportNotFoundError();
    const report = (row.report ?? {}) as Partial<ImportReport>;
    return {
      id: row.id,
      status: row.status,
      rows: row.rows,
      accepted: row.accepted,
      rejected: row.rejected,
      orders: row.orders,
      rejects: report.rejects ?? [],
      ...(report.rejectsOmitted !== undefined ? { rejectsOmitted: report.rejectsOmitted } : {}),
      durationMs: report.durationMs ?? 0,
      ...(report.error ? { error: report.error } : {}),
      createdBy: row.createdBy,
      sha256: row.sha256,
      strict: row.strict,
      allowDuplicate: row.allowDuplicate,
      startedAt: row.startedAt.toISOString(),
      finishedAt: row.finishedAt?.toISOString() ?? null,
    };
  }

  /**
   * A concurrent upload of the same file that committed first turns this one into a 409;
   * so does a concurrent order that took one of the file's order_refs.
   */
  private async explain(error: unknown, owner: string, sha256: string | undefined): Promise<unknown> {
    if (this.placement.isExternalRefTaken(error)) return new ImportExternalRefRaceError();
    if (!this.imports.isDuplicateFile(error) || sha256 === undefined) return error;
    const first = await this.imports.getFirstCompleted(owner, sha256);
    return first === undefined ? error : new ImportDuplicateError(first);
  }

  private async store(
    manager: EntityManager,
    id: string,
    report: ImportReport,
    sha256: string | null,
  ): Promise<void> {
    await this.imports.finish(
      id,
      {
        status: report.status,
        sha256,
        rows: report.rows,
        accepted: report.accepted,
        rejected: report.rejected,
        orders: report.orders,
        report,
      },
      manager,
    );
  }

  /**
   * After the import's transaction has ended (never while it is open: the embedded
   * database has one session), a short transaction of its own records the failure.
   */
  private async fail(
    id: string,
    requester: ImportRequester,
    tally: ImportTally,
    error: unknown,
    sha256: string | null,
    durationMs: number,
  ): Promise<void> {
    const code = error instanceof AppError ? error.code : 'internal';
    const detail = error instanceof AppError ? error.detail : 'The import failed unexpectedly.';
    const report = tally.report(id, 'failed', durationMs, { code, detail });
    // Nothing of a failed import commits: its rows count as rejected only where they were.
    this.finished('failed');
    this.took(durationMs / 1000, 'failed');
    this.rows('rejected', report.rejected);
    if (!(error instanceof AppError)) this.logger.error({ err: error, importId: id }, 'Import failed');
    try {
      await this.dataSource.transaction(async (manager) => {
        await this.store(manager, id, report, sha256);
        await this.audit.record(manager, {
          action: 'import.failed',
          actor: requester.actor,
          outcome: 'failure',
          target: { type: 'import', id },
          details: { reason: code, rows: report.rows, rejected: report.rejected },
        });
      });
      this.logger.log({ importId: id, status: 'failed', reason: code, rows: report.rows }, 'Import failed');
    } catch (storeError) {
      this.logger.error({ err: storeError, importId: id }, 'Could not record a failed import');
    }
  }
}
