import { FieldCode, inSpan } from '@orderops/core';
import type { CustomerBatchResolver } from '@orderops/pii';
import type { Readable } from 'node:stream';
import { setImmediate } from 'node:timers/promises';
import type { EntityManager } from 'typeorm';
import { ImportInvalidFileError, ImportNoRowsError } from '../orders.errors.js';
import type { CreateOrderDto } from '../orders/dto/create-order.dto.js';
import type { OrderDraft, OrderPlacementService, OrderPlacer } from '../orders/order-placement.service.js';
import { readCsv, type CsvRecord } from './csv-rows.js';
import { checkOrder, MAX_ITEMS_PER_ORDER } from './import-rows.js';
import type { ImportTally } from './import-report.js';

/** Rows validated between two database round trips (customers, orders, items). */
const BATCH_ROWS = 2_000;
/**
 * Rows parsed between two turns of the event loop. A file read from the spool rarely waits
 * on a read, so without these turns the database's answers to the batches in flight would
 * sit unread until a whole batch was parsed, and the connection idle meanwhile (measured:
 * every 1,000 rows gave 0.40x of the schema floor, every 50-200 rows 0.43x).
 */
const YIELD_EVERY_ROWS = 100;

export interface ImportProgress {
  readonly rows: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Bytes of the file read so far. */
  readonly bytes: number;
}

export interface ImportRunSettings {
  /** Who places the orders: their creator, their owner (see `Reach`) and the audit actor. */
  readonly placer: OrderPlacer;
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

/** An order that passed validation, with the file lines it came from. */
interface PendingOrder {
  readonly order: CreateOrderDto;
  readonly lines: readonly number[];
}

/** Why the rows of an order whose order_ref is already one of the owner's externalRefs are rejected. */
const REF_TAKEN = {
  field: 'order_ref',
  code: FieldCode.AlreadyUsed,
  message: 'an earlier order of yours already has this order_ref as its externalRef',
};

/** Where a batch goes: the import's transaction, its customer resolver, the order placement. */
interface BatchWriter {
  readonly manager: EntityManager;
  readonly customers: CustomerBatchResolver;
  readonly placement: OrderPlacementService;
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
  private readonly seenRefs = new Set<string>();
  private group: OpenGroup | undefined;
  private pending: PendingOrder[] = [];
  private pendingRows = 0;
  private bytesRead = 0;
  /**
   * A batch is written in two stages, each taken by one batch at a time and in file order:
   * its customers (order_refs already taken, lookup, encryption, insert), then its orders and
   * items. While one batch's orders are written, the next one's customers are encrypted and
   * the one after it is parsed and validated, so this process works while the database
   * does. File order in the first stage is what lets a batch's lookup see every customer an
   * earlier batch created.
   */
  private resolving: Promise<unknown> = Promise.resolve();
  private writing: Promise<void> = Promise.resolve();
  /** Set when a batch's orders failed: the rest of the file is not worth parsing. */
  private writeFailed = false;
  /** SHA-256 of the file, once it has been read to the end. */
  sha256: string | undefined;

  constructor(
    private readonly tally: ImportTally,
    private readonly settings: ImportRunSettings,
  ) {}

  async execute(
    source: Readable,
    manager: EntityManager,
    customers: CustomerBatchResolver,
    placement: OrderPlacementService,
  ): Promise<void> {
    const writer = { manager, customers, placement };
    const reader = readCsv(source, this.settings.maxBytes, (line) => {
      this.tally.rows += 1;
      this.tally.reject(line, [
        {
          field: 'row',
          code: FieldCode.ColumnCount,
          message: 'the row does not have as many cells as the header',
        },
      ]);
    });
    try {
      for await (const record of reader.records) {
        this.tally.rows += 1;
        this.bytesRead = reader.gate.bytes;
        this.add(record);
        if (this.pendingRows >= BATCH_ROWS) await this.flush(writer);
        else if (this.tally.rows % YIELD_EVERY_ROWS === 0) await setImmediate();
      }
      // Nothing to import is not a completed import: the caller sent the wrong file.
      if (this.tally.rows === 0) {
        throw reader.hasHeader()
          ? new ImportNoRowsError()
          : new ImportInvalidFileError('The file is empty: an order file starts with a header row.');
      }
      this.closeGroup();
      await this.flush(writer);
    } finally {
      // Whatever went wrong, no write may still be running when the caller rolls back: a
      // statement sent after ROLLBACK would run outside the transaction.
      await Promise.allSettled([this.resolving, this.writing]);
    }
    await this.resolving;
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
          code: FieldCode.NotAdjacent,
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
        code: FieldCode.TooManyItems,
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
    this.pending.push({ order: check.order, lines: rows.map((r) => r.line) });
    this.pendingRows += rows.length;
  }

  /** Hands the pending orders to the writer once the previous batch's customers are in. */
  private async flush(writer: BatchWriter): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.pendingRows = 0;
    // The previous batch's order_ref rejects are counted and its customers are in.
    await this.resolving;
    if (this.writeFailed) await this.writing;
    // Strict and already rejected: the transaction will roll back, so write nothing more.
    if (batch.length > 0 && !(this.settings.strict && this.tally.rejected > 0)) {
      const previous = this.writing;
      // One span per batch: counts only, the rows themselves are personal data.
      this.writing = inSpan('import.batch', { 'orderops.import.orders': batch.length }, () => {
        const drafts = this.resolve(batch, writer);
        this.resolving = drafts;
        return this.store(drafts, previous, writer);
      });
      // Failures are awaited (and thrown) by the next flush or by execute().
      void this.resolving.catch(() => undefined);
      void this.writing.catch(() => {
        this.writeFailed = true;
      });
    } else {
      await this.writing;
      this.progress();
    }
  }

  /** The first stage: the batch's orders as drafts, their customers found or created. */
  private async resolve(pending: readonly PendingOrder[], writer: BatchWriter): Promise<OrderDraft[]> {
    const batch = await this.withoutTakenRefs(pending, writer);
    const withCustomer = batch.filter((order) => order.customer !== undefined);
    const customerIds =
      withCustomer.length === 0
        ? []
        : await writer.customers.resolve(withCustomer.map((order) => order.customer!));
    const idOf = new Map(withCustomer.map((order, i) => [order, customerIds[i]]));
    return batch.map((order) => ({
      customerId: idOf.get(order) ?? null,
      currency: order.currency,
      note: null,
      externalRef: order.externalRef ?? null,
      items: order.items,
    }));
  }

  /** The second stage: the orders and items, once the previous batch's are in. */
  private async store(
    drafts: Promise<OrderDraft[]>,
    previous: Promise<void>,
    writer: BatchWriter,
  ): Promise<void> {
    const ready = await drafts;
    await previous;
    if (ready.length > 0) {
      // The import.completed event counts these orders (see OrderOrigin).
      const placed = await writer.placement.place(writer.manager, this.settings.placer, ready, 'import');
      this.tally.orders += placed.length;
    }
    this.progress();
  }

  /**
   * An order_ref that an earlier order of this owner (POST /orders or an earlier import)
   * carries as its externalRef rejects that order's rows, not the import: the rest of the
   * file still goes in. Order_refs are unique within a file (see add), so only the database
   * can hold the other one.
   */
  private async withoutTakenRefs(
    pending: readonly PendingOrder[],
    writer: BatchWriter,
  ): Promise<CreateOrderDto[]> {
    const refs = pending.flatMap(({ order }) => (order.externalRef === undefined ? [] : [order.externalRef]));
    const taken = await writer.placement.takenExternalRefs(writer.manager, this.settings.placer.owner, refs);
    const kept: CreateOrderDto[] = [];
    for (const { order, lines } of pending) {
      if (order.externalRef === undefined || !taken.has(order.externalRef)) {
        kept.push(order);
        continue;
      }
      this.tally.accepted -= lines.length;
      for (const line of lines) this.tally.reject(line, [REF_TAKEN]);
    }
    return kept;
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
