import { parse, type CsvError } from 'csv-parse';
import { createHash } from 'node:crypto';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { AppError } from '@orderops/core';
import { ImportInterruptedError, ImportInvalidFileError, ImportTooLargeError } from '../orders.errors.js';

/** The columns an order file may have; header names match case-insensitively. */
export const IMPORT_COLUMNS = [
  'product',
  'price',
  'quantity',
  'currency',
  'customer_name',
  'customer_email',
  'customer_phone',
  'order_ref',
] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];
export const REQUIRED_COLUMNS: readonly ImportColumn[] = ['product', 'price', 'quantity'];

/** Longest accepted record (a row with every column at its maximum is ~1.5 KiB). */
export const MAX_RECORD_BYTES = 16 * 1024;

export type CsvCells = Partial<Record<ImportColumn, string>>;

export interface CsvRecord {
  /** The file line the record ends on (the header is line 1). */
  readonly line: number;
  readonly cells: CsvCells;
}

/**
 * Counts and hashes the bytes as they pass, refuses more than `limit`, and decodes them as
 * UTF-8 (refusing invalid sequences; a leading BOM is dropped) for the CSV parser.
 */
export class FileGate extends Transform {
  private readonly hash = createHash('sha256');
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  bytes = 0;

  constructor(private readonly limit: number) {
    super({ readableObjectMode: false, decodeStrings: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      callback(new ImportTooLargeError(this.limit));
      return;
    }
    this.hash.update(chunk);
    try {
      const text = this.decoder.decode(chunk, { stream: true });
      callback(null, text.length > 0 ? text : undefined);
    } catch {
      callback(new ImportInvalidFileError('The file is not valid UTF-8.'));
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      const rest = this.decoder.decode();
      callback(null, rest.length > 0 ? rest : undefined);
    } catch {
      callback(new ImportInvalidFileError('The file is not valid UTF-8.'));
    }
  }

  /** Hex SHA-256 of every byte received; call once the stream has ended. */
  sha256(): string {
    return this.hash.digest('hex');
  }
}

/** Maps the header row to column names, refusing unknown, repeated or missing columns. */
export function mapHeader(header: readonly string[]): ImportColumn[] {
  const known = new Set<string>(IMPORT_COLUMNS);
  const columns = header.map((name, index) => {
    const column = name.trim().toLowerCase();
    // Never echo the cell: a file without a header row has personal data here.
    if (!known.has(column)) {
      throw new ImportInvalidFileError(
        `Header column ${index + 1} is not one of ${IMPORT_COLUMNS.join(', ')}.`,
      );
    }
    return column as ImportColumn;
  });
  const seen = new Set<string>();
  for (const column of columns) {
    if (seen.has(column)) throw new ImportInvalidFileError(`The header names ${column} twice.`);
    seen.add(column);
  }
  const missing = REQUIRED_COLUMNS.filter((column) => !seen.has(column));
  if (missing.length > 0) {
    throw new ImportInvalidFileError(`The header lacks the required column(s) ${missing.join(', ')}.`);
  }
  return columns;
}

export interface CsvReader {
  readonly gate: FileGate;
  readonly records: AsyncIterable<CsvRecord>;
  /** Whether a header row was read (false for an empty file); valid once records have ended. */
  hasHeader(): boolean;
}

/**
 * Streams `source` through the gate into csv-parse. A record with the wrong number of
 * cells is reported through `onBadRecord` and skipped; any other CSV syntax error (quotes,
 * an oversized record) makes the rest of the file ambiguous, so it fails the whole file.
 */
export function readCsv(source: Readable, limit: number, onBadRecord: (line: number) => void): CsvReader {
  const gate = new FileGate(limit);
  let hasHeader = false;
  const parser = parse({
    bom: true,
    columns: (header: string[]) => {
      hasHeader = true;
      return mapHeader(header);
    },
    info: true,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: false,
    max_record_size: MAX_RECORD_BYTES,
    skip_records_with_error: true,
    on_skip: (error: CsvError | undefined) => {
      if (error === undefined) return;
      const line = Number((error as CsvError & { lines?: number }).lines ?? 0);
      if (error.code === 'CSV_RECORD_INCONSISTENT_COLUMNS') onBadRecord(line);
      else parser.destroy(new ImportInvalidFileError(`The file is not valid CSV (line ${line}).`));
    },
  });
  // The source is piped, not part of the pipeline: when the file is refused (too large,
  // invalid) the request must stay open for the answer, not be destroyed with the parser.
  const interrupted = (): void => {
    if (!source.readableEnded) gate.destroy(new ImportInterruptedError());
  };
  source.once('error', interrupted);
  source.once('close', interrupted);
  source.pipe(gate);
  const tail = pipeline(gate, parser, () => {
    // Errors reach the consumer through the iterator below.
  });
  async function* records(): AsyncGenerator<CsvRecord> {
    try {
      for await (const item of tail as AsyncIterable<{ record: CsvCells; info: { lines: number } }>) {
        yield { line: item.info.lines, cells: item.record };
      }
    } catch (error) {
      // Ours (limit, encoding, syntax) as they are; anything else is the upload breaking off.
      if (error instanceof AppError) throw error;
      throw new ImportInterruptedError();
    }
  }
  return { gate, records: records(), hasHeader: () => hasHeader };
}
