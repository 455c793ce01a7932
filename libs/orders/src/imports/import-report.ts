import type { FieldProblem } from '@orderops/core';

/** One rejected row: its file line and every problem found in it (never its values). */
export interface RowReject {
  readonly line: number;
  readonly errors: readonly FieldProblem[];
}

/** Rejected rows listed in a report; the rest are counted in `rejectsOmitted`. */
export const MAX_LISTED_REJECTS = 1_000;

/** What an import answers and stores: counts and line numbers, never a value from the file. */
export interface ImportReport {
  readonly id: string;
  readonly status: 'completed' | 'failed';
  readonly rows: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly orders: number;
  readonly rejects: readonly RowReject[];
  readonly rejectsOmitted?: number;
  readonly durationMs: number;
  /** Why a failed import failed: a problem type code and its fixed text. */
  readonly error?: { readonly code: string; readonly detail: string };
}

/** Counts and the (bounded) list of rejected rows, as an import goes. */
export class ImportTally {
  rows = 0;
  accepted = 0;
  rejected = 0;
  orders = 0;
  private readonly rejects: RowReject[] = [];
  private omitted = 0;

  reject(line: number, errors: readonly FieldProblem[]): void {
    this.rejected += 1;
    if (this.rejects.length < MAX_LISTED_REJECTS) this.rejects.push({ line, errors });
    else this.omitted += 1;
  }

  report(
    id: string,
    status: ImportReport['status'],
    durationMs: number,
    error?: ImportReport['error'],
  ): ImportReport {
    return {
      id,
      status,
      rows: this.rows,
      accepted: status === 'completed' ? this.accepted : 0,
      rejected: this.rejected,
      orders: status === 'completed' ? this.orders : 0,
      rejects: [...this.rejects].sort((a, b) => a.line - b.line),
      ...(this.omitted > 0 ? { rejectsOmitted: this.omitted } : {}),
      durationMs: Math.round(durationMs),
      ...(error ? { error } : {}),
    };
  }
}
