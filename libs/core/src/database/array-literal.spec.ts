import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { arrayLiteral } from './array-literal.js';

// Differential: the literal must be byte for byte what pg sends for the same array, so a
// column passed through it reaches PostgreSQL exactly as before.
const pgLiteral = (values: readonly (string | number | null)[]): unknown =>
  (pg as unknown as { utils: { prepareValue(value: unknown): unknown } }).utils.prepareValue(values);

/** Deterministic strings over an alphabet rich in what arrays and escaping care about. */
function samples(count: number): string[] {
  const alphabet = [
    'a',
    'Z',
    '0',
    ' ',
    ',',
    '{',
    '}',
    '"',
    '\\',
    "'",
    '\n',
    '\t',
    'NULL',
    'é',
    '€',
    '😀',
    '=',
  ];
  let seed = 12345;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  return Array.from({ length: count }, () =>
    Array.from({ length: next() % 12 }, () => alphabet[next() % alphabet.length]).join(''),
  );
}

describe('arrayLiteral', () => {
  it('matches pg for strings with quotes, backslashes, braces, commas, NULL-lookalikes and unicode', () => {
    const values = samples(2_000);
    expect(values.some((v) => v.includes('"'))).toBe(true);
    expect(values.some((v) => v.includes('\\'))).toBe(true);
    expect(arrayLiteral(values)).toBe(pgLiteral(values));
  });

  it('matches pg for nulls, empty strings, integers and decimals, and for an empty array', () => {
    const values = [null, '', 0, 7, -3, 12.5, '12.50', null, 'NULL', '"', '\\\\'];
    expect(arrayLiteral(values)).toBe(pgLiteral(values));
    expect(arrayLiteral([])).toBe(pgLiteral([]));
  });

  it('keeps a null apart from the string "NULL" and escapes every quote and backslash', () => {
    expect(arrayLiteral([null, 'NULL'])).toBe('{NULL,"NULL"}');
    expect(arrayLiteral(['a"b\\c"'])).toBe('{"a\\"b\\\\c\\""}');
  });
});
