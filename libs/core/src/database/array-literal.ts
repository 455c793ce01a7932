/**
 * The PostgreSQL array literal `pg` itself would send for a one-dimensional array of
 * strings, numbers and nulls (every element quoted, `\` and `"` escaped, null as NULL),
 * built in one pass. Batch inserts pass each column as one array parameter; `pg`'s own
 * encoder runs two regular-expression replaces per element, which made it a visible share
 * of an import's time for columns of long ciphertexts that never hold either character.
 */
export function arrayLiteral(values: readonly (string | number | null)[]): string {
  let literal = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) literal += ',';
    const value = values[i];
    if (value === null) {
      literal += 'NULL';
    } else if (typeof value === 'number') {
      literal += `"${value}"`;
    } else if (value.includes('\\') || value.includes('"')) {
      literal += `"${value.replace(/[\\"]/g, '\\$&')}"`;
    } else {
      literal += `"${value}"`;
    }
  }
  return `${literal}}`;
}
