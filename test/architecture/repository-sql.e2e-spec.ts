import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/test-database.js';

/**
 * The repositories' hand-written SQL is checked in under docs/sql/ (issue 12 §1, after
 * Immich's queries/*.sql): a query that changes without its reviewed copy fails here.
 */
const SCRIPT = resolve('scripts/architecture/repository-sql.mjs');

function run(root: string, ...args: string[]): { status: number | null; lines: string[] } {
  const result = spawnSync(process.execPath, [SCRIPT, ...args, root], { encoding: 'utf8' });
  return { status: result.status, lines: result.stdout.split('\n').filter((line) => line.length > 0) };
}

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function put(root: string, path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

const REPOSITORY = (column: string): string => `const BY_ID = 'SELECT "id" FROM "orders" WHERE "id" = $1';
export class OrdersRepository {
  getById(id: string) { return [BY_ID, id]; }
  listOwned(owner: string) {
    return [\`SELECT "${column}"
               FROM "orders"
              WHERE \${'"owner"'} = $1\`, owner];
  }
  label() { return 'not sql'; }
}\n`;

describe('reviewed repository SQL', () => {
  it("this repository's docs/sql matches its repositories", () => {
    const result = run(resolve('.'));
    expect(result.lines).toEqual([
      expect.stringMatching(/^repository SQL: \d+ files match the repositories$/),
    ]);
    expect(result.status).toBe(0);
  });

  it('writes each repository SQL text labelled by method, and fails when one changes unreviewed', () => {
    const root = makeTempDir('orderops-sql-');
    roots.push(root);
    put(root, 'libs/orders/src/orders/orders.repository.ts', REPOSITORY('id'));

    expect(run(root).lines).toEqual(['docs/sql/orders/orders/orders.repository.sql: missing']);
    expect(run(root).status).toBe(1);
    expect(run(root, '--write').status).toBe(0);
    expect(readFileSync(join(root, 'docs/sql/orders/orders/orders.repository.sql'), 'utf8')).toBe(
      '-- Generated from libs/orders/src/orders/orders.repository.ts by `npm run sql:sync`. Review changes as code.\n\n' +
        '-- BY_ID\nSELECT "id" FROM "orders" WHERE "id" = $1;\n\n' +
        '-- OrdersRepository.listOwned\nSELECT "id"\n   FROM "orders"\n  WHERE ${\'"owner"\'} = $1;\n',
    );
    expect(run(root).status).toBe(0);

    put(root, 'libs/orders/src/orders/orders.repository.ts', REPOSITORY('owner'));
    expect(run(root).lines).toEqual([
      'docs/sql/orders/orders/orders.repository.sql: differs from the repository SQL',
    ]);
    expect(run(root).status).toBe(1);
  });

  it('fails on SQL left behind by a removed repository, and --write removes it', () => {
    const root = makeTempDir('orderops-sql-');
    roots.push(root);
    put(root, 'libs/orders/src/orders/orders.repository.ts', REPOSITORY('id'));
    expect(run(root, '--write').status).toBe(0);
    rmSync(join(root, 'libs/orders/src/orders/orders.repository.ts'));

    expect(run(root).lines).toEqual([
      'docs/sql/orders/orders/orders.repository.sql: no repository has this SQL any more',
    ]);
    expect(run(root).status).toBe(1);
    expect(run(root, '--write').status).toBe(0);
    expect(existsSync(join(root, 'docs/sql/orders'))).toBe(false);
    expect(run(root).status).toBe(0);
  });
});
