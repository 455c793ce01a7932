import { pooledRandom } from '@orderops/core';
import type { CustomerBatchResolver } from '@orderops/pii';
import type { Readable } from 'node:stream';
import type { EntityManager } from 'typeorm';
import { monotonicFactory } from 'ulid';
import { ImportInvalidFileError, ImportNoRowsError } from '../orders.errors.js';
import { readCsv, type CsvRecord } from './csv-rows.js';
import { checkOrder, MAX_ITEMS_PER_ORDER } from './import-rows.js';
import type { ImportTally } from './import-report.js';
import { insertOrderBatch, type PendingOrder } from './order-batch.writer.js';

/** Rows validated between two database round trips (customers, orders, items). */
const BATCH_ROWS = 2_000;

export interface ImportProgress {
  readonly rows: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Bytes of the file read so far. */
  readonly bytes: number;
}

export interface ImportRunSettings {
  readonly createdBy: string;
  /** Who the orders belong to (see `Reach`). */
  readonly owner: string;
  readonly strict: boolean;
  readonly maxBytes: number;
  readonly defaultCurrency: string;
  readonly onProgress?: (progress: ImportProgress) => void;
}

interface OpenGroup {
  readonly ref: string;
  readonly rows: CsvRecord[];
  /** Lines beyond MAX_ITEMS_PER_ORDER: counted, not kept. */
  readonly overflow: number[];
}

const cellOf = (record: CsvRecord, column: 'order_ref'): string | undefined => {
  const value = record.cells[column];
  return value === undefined || value === '' ? undefined : value;
};

/**
 * One pass over one file inside the import's transaction: parse, validate each order,
 * and write accepted orders by the batch. Memory stays bounded by the batch size, the
 * rejects list and the order_refs seen, never by the file.
 */
export class ImportRun {
  private readonly nextId = monotonicFactory(pooledRandom());
  private readonly seenRefs = new Set<string>();
  private group: OpenGroup | undefined;
  private pending: { order: PendingOrder['order'] }[] = [];
  private pendingRows = 0;
  private bytesRead = 0;
  /**
   * The batch being written while the next one is parsed and validated: the database and
   * this process work at the same time, with at most one batch in flight.
   */
  private writing: Promise<void> = Promise.resolve();
  /** SHA-256 of the file, once it has been read to the end. */
  sha256: string | undefined;

  constructor(
    private readonly tally: ImportTally,
    private readonly settings: ImportRunSettings,
  ) {}

  async execute(source: Readable, manager: EntityManager, customers: CustomerBatchResolver): Promise<void> {
    const reader = readCsv(source, this.settings.maxBytes, (line) => {
      this.tally.rows += 1;
      this.tally.reject(line, [
        { field: 'row', code: 'columnCount', message: 'the row does not have as many cells as the header' },
      ]);
    });
    try {
      for await (const record of reader.records) {
        this.tally.rows += 1;
        this.bytesRead = reader.gate.bytes;
        this.add(record);
        if (this.pendingRows >= BATCH_ROWS) await this.flush(manager, customers);
      }
      // Nothing to import is not a completed import: the caller sent the wrong file.
      if (this.tally.rows === 0) {
        throw reader.hasHeader()
          ? new ImportNoRowsError()
          : new ImportInvalidFileError('The file is empty: an order file starts with a header row.');
      }
      this.closeGroup();
      await this.flush(manager, customers);
    } finally {
      // Whatever went wrong, no write may still be running when the caller rolls back: a
      // statement sent after ROLLBACK would run outside the transaction.
      await this.writing.catch(() => undefined);
    }
    await this.writing;
    this.bytesRead = reader.gate.bytes;
    this.sha256 = reader.gate.sha256();
    this.progress();
  }

  /** Parsing and validation stay synchronous: only writing a batch waits. */
  private add(record: CsvRecord): void {
    const ref = cellOf(record, 'order_ref');
    if (ref !== undefined && this.group?.ref === ref) {
      if (this.group.rows.length < MAX_ITEMS_PER_ORDER) this.group.rows.push(record);
      else this.group.overflow.push(record.line);
      return;
    }
    this.closeGroup();
    if (ref === undefined) {
      this.accept([record]);
    } else if (this.seenRefs.has(ref)) {
      this.tally.reject(record.line, [
        {
          field: 'order_ref',
          code: 'orderRefNotAdjacent',
          message: 'rows of one order_ref must be consecutive',
        },
      ]);
    } else {
      this.seenRefs.add(ref);
      this.group = { ref, rows: [record], overflow: [] };
    }
  }

  private closeGroup(): void {
    const group = this.group;
    this.group = undefined;
    if (!group) return;
    if (group.overflow.length > 0) {
      const problem = {
        field: 'order_ref',
        code: 'arrayMaxSize',
        message: `an order_ref has at most ${MAX_ITEMS_PER_ORDER} rows`,
      };
      for (const line of [...group.rows.map((r) => r.line), ...group.overflow])
        this.tally.reject(line, [problem]);
      return;
    }
    this.accept(group.rows);
  }

  private accept(rows: readonly CsvRecord[]): void {
    const check = checkOrder(rows, this.settings.defaultCurrency);
    if (!check.ok) {
      for (const reject of check.rejects) this.tally.reject(reject.line, reject.errors);
      return;
    }
    this.tally.accepted += rows.length;
    this.pending.push({ order: check.order });
    this.pendingRows += rows.length;
  }

  /** Hands the pending orders to the writer once the previous batch is in. */
  private async flush(manager: EntityManager, customers: CustomerBatchResolver): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.pendingRows = 0;
    await this.writing;
    // Strict and already rejected: the transaction will roll back, so write nothing more.
    if (batch.length > 0 && !(this.settings.strict && this.tally.rejected > 0)) {
      this.writing = this.write(batch, manager, customers);
      // Its failure is awaited (and thrown) by the next flush or by execute().
      void this.writing.catch(() => undefined);
    } else {
      this.progress();
    }
  }

  private async write(
    batch: readonly { order: PendingOrder['order'] }[],
    manager: EntityManager,
    customers: CustomerBatchResolver,
  ): Promise<void> {
    const withCustomer = batch.filter((p) => p.order.customer !== undefined);
    const customerIds = await customers.resolve(withCustomer.map((p) => p.order.customer!));
    const idOf = new Map(withCustomer.map((p, i) => [p, customerIds[i]]));
    const orders = batch.map((p) => ({
      id: `ORD-${this.nextId()}`,
      order: p.order,
      customerId: idOf.get(p) ?? null,
    }));
    await insertOrderBatch(
      manager,
      { createdBy: this.settings.createdBy, owner: this.settings.owner },
      orders,
    );
    this.tally.orders += orders.length;
    this.progress();
  }

  private progress(): void {
    this.settings.onProgress?.({
      rows: this.tally.rows,
      accepted: this.tally.accepted,
      rejected: this.tally.rejected,
      bytes: this.bytesRead,
    });
  }
}
