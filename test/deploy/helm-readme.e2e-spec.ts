import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CHART_DIR } from './support/helm.js';

/** helm/orderops/README.md documents every value of values.yaml, with its real default. */

type Values = Record<string, unknown>;

const VALUES = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as Values;
const README = readFileSync(join(CHART_DIR, 'README.md'), 'utf8');

interface Row {
  path: string;
  description: string;
  default: string;
}

/** The rows of the Parameters table: | `path` | description | `default` |. */
function parameterRows(markdown: string): Row[] {
  const section = markdown.split(/^## Parameters$/m)[1] ?? '';
  return section
    .split('\n')
    .filter((line) => /^\|\s*`/.test(line))
    .map((line) => {
      const cells = line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
      if (cells.length !== 3) throw new Error(`a parameter row needs 3 cells: ${line}`);
      const [path, description, value] = cells;
      return { path: path.replace(/^`|`$/g, ''), description, default: value.replace(/^`|`$/g, '') };
    });
}

function isMap(value: unknown): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Paths of the values a user sets: scalars, lists and empty maps. */
function leafPaths(values: Values, prefix = ''): string[] {
  return Object.entries(values).flatMap(([key, value]) => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    return isMap(value) && Object.keys(value).length > 0 ? leafPaths(value, path) : [path];
  });
}

function valueAt(values: Values, path: string): { found: boolean; value?: unknown } {
  let node: unknown = values;
  for (const key of path.split('.')) {
    if (!isMap(node) || !Object.hasOwn(node, key)) return { found: false };
    node = node[key];
  }
  return { found: true, value: node };
}

/** A leaf is documented by its own row or by a row for a map that holds it. */
function coveredBy(leaf: string, rows: Row[]): Row | undefined {
  return rows.find((r) => leaf === r.path || leaf.startsWith(`${r.path}.`));
}

describe('the chart README parameter table', () => {
  const rows = parameterRows(README);

  it('has rows', () => {
    expect(rows.length).toBeGreaterThan(50);
  });

  it('documents every value of values.yaml', () => {
    expect(leafPaths(VALUES).filter((leaf) => !coveredBy(leaf, rows))).toEqual([]);
  });

  it('names only values that exist, each once, with a description', () => {
    expect(rows.filter((r) => !valueAt(VALUES, r.path).found).map((r) => r.path)).toEqual([]);
    expect(rows.map((r) => r.path).filter((p, i, all) => all.indexOf(p) !== i)).toEqual([]);
    expect(rows.filter((r) => r.description === '').map((r) => r.path)).toEqual([]);
  });

  it("gives each value's default as values.yaml has it (JSON)", () => {
    const wrong = rows
      .filter((r) => r.default !== JSON.stringify(valueAt(VALUES, r.path).value))
      .map(
        (r) => `${r.path}: README ${r.default}, values.yaml ${JSON.stringify(valueAt(VALUES, r.path).value)}`,
      );
    expect(wrong).toEqual([]);
  });

  it('fails on a value missing from the table, a stale row and a wrong default', () => {
    // The checks above, run on a README that breaks each rule once.
    const broken = README.replace(/^\| `config\.strictRateLimitPerMinute`.*\n/m, '')
      .replace('| `nameOverride`', '| `nameOverrides`')
      .replace(/(\| `replicaCount` .*\| )`2`/, '$1`3`');
    const brokenRows = parameterRows(broken);
    expect(leafPaths(VALUES).filter((leaf) => !coveredBy(leaf, brokenRows))).toEqual([
      'nameOverride',
      'config.strictRateLimitPerMinute',
    ]);
    expect(brokenRows.filter((r) => !valueAt(VALUES, r.path).found).map((r) => r.path)).toEqual([
      'nameOverrides',
    ]);
    expect(brokenRows.find((r) => r.path === 'replicaCount')!.default).toBe('3');
  });
});
