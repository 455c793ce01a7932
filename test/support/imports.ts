import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { bearer } from './auth.js';

/** The reference sample order file, checked in so a clone needs nothing beside it. */
export const SAMPLE_CSV = resolve('test', 'fixtures', 'sales.csv');
export const sampleCsv = (): Buffer => readFileSync(SAMPLE_CSV);

export interface ImportReportBody {
  id: string;
  status: string;
  rows: number;
  accepted: number;
  rejected: number;
  orders: number;
  rejects: { line: number; errors: { field: string; code: string; message: string }[] }[];
  rejectsOmitted?: number;
  durationMs: number;
  error?: { code: string; detail: string };
}

export function postImport(
  app: NestFastifyApplication,
  token: string,
  csv: string | Buffer,
  query = '',
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: `/orders/imports${query}`,
    headers: { ...bearer(token), 'content-type': 'text/csv', ...headers },
    payload: csv,
  });
}

/** A unique file each time (a comment-free trailing row keeps duplicates apart). */
let counter = 0;
export function uniqueCsv(lines: string[], header = 'product,price,quantity'): string {
  counter += 1;
  return (
    [header, ...lines, `Unique ${Date.now()}-${counter}-${Math.random().toString(36).slice(2)},1.00,1`].join(
      '\n',
    ) + '\n'
  );
}
