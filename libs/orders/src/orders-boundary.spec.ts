import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getMetadataArgsStorage } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { ordersSchema } from './orders.schema.js';

// The orders lib's persistence boundary (issue 12 §1): only its repositories issue queries,
// and they name only orders' own tables. Customers come through pii's public API.

const SRC = fileURLToPath(new URL('.', import.meta.url));

const QUERY_SITE =
  /getRepository\(|\.query[<(]|createQueryBuilder|\bmanager\.(find|findOne|insert|save|update|delete)\w*\(|\.read[<(]/;
/** SQL keywords in capitals, as this codebase writes them (prose in comments stays lower case). */
const TABLE_REFERENCE = /\b(?:FROM|JOIN|INTO|UPDATE)\s+"?([a-z_][a-z0-9_]*)"?/g;
const REPOSITORY_OF = /getRepository\((\w+)\)/g;

const ownEntities = (ordersSchema.entities as (new () => unknown)[]).map((entity) => entity.name);
const ownTables = new Set(
  getMetadataArgsStorage()
    .tables.filter((table) => ownEntities.includes((table.target as { name: string }).name))
    .map((table) => table.name!),
);
/** Set-returning functions that follow FROM without being a table. */
const NOT_TABLES = new Set(['unnest', 'json_agg', 'jsonb_to_recordset']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'migrations' ? [] : sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** What in `text` breaks the boundary, as "file: problem" lines. */
function boundaryProblems(file: string, text: string): string[] {
  const problems: string[] = [];
  const isRepository = file.endsWith('.repository.ts');
  text.split('\n').forEach((line, index) => {
    if (!isRepository && QUERY_SITE.test(line))
      problems.push(`${file}:${index + 1}: a query outside a repository`);
  });
  for (const [, table] of text.matchAll(TABLE_REFERENCE)) {
    if (!ownTables.has(table) && !NOT_TABLES.has(table))
      problems.push(`${file}: names the table ${table}, which orders does not own`);
  }
  for (const [, entity] of text.matchAll(REPOSITORY_OF)) {
    if (!ownEntities.includes(entity)) problems.push(`${file}: reaches ${entity}, which orders does not own`);
  }
  return problems;
}

describe('the orders persistence boundary', () => {
  it('knows its own tables', () => {
    expect([...ownTables].sort()).toEqual(['idempotency_keys', 'imports', 'order_items', 'orders']);
  });

  it('holds in every source file of the lib', () => {
    const problems = sources(SRC).flatMap((path) =>
      boundaryProblems(relative(SRC, path), readFileSync(path, 'utf8')),
    );
    expect(problems).toEqual([]);
  });

  it("catches a query in a service, a join on pii's table and a foreign entity", () => {
    expect(boundaryProblems('x.service.ts', 'await manager.query(`SELECT 1`);')).toEqual([
      'x.service.ts:1: a query outside a repository',
    ]);
    expect(
      boundaryProblems(
        'x.repository.ts',
        'SELECT to_jsonb(c) FROM orders o LEFT JOIN customers c ON c.id = o.customer_id',
      ),
    ).toEqual(['x.repository.ts: names the table customers, which orders does not own']);
    expect(boundaryProblems('x.repository.ts', 'm.getRepository(CustomerEntity).findBy({ id })')).toEqual([
      'x.repository.ts: reaches CustomerEntity, which orders does not own',
    ]);
    expect(boundaryProblems('x.repository.ts', 'await this.database.read<Row>(SQL, [id]);')).toEqual([]);
    expect(boundaryProblems('x.service.ts', 'await this.database.read<Row>(SQL, [id]);')).toHaveLength(1);
  });
});
