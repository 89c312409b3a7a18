/**
 * The exact identity of a row of internal values: two rows have the same key only when every
 * value is the same, as the wire would show it (numeric 1.0 and 1.00 differ here, although
 * Postgres's `=` calls them equal). Used where a multiset must give back the rows it was given.
 */
import type { Value } from '../../sql/scalar/interface.js';

export function exactKey(row: readonly Value[]): string {
  let key = '';
  for (const v of row) {
    switch (typeof v) {
      case 'string':
        key += JSON.stringify(v);
        break;
      case 'bigint':
        key += `${v}n`;
        break;
      case 'number':
        // -0 and 0 print differently as floats; NaN must equal NaN.
        key += Object.is(v, -0) ? '-0' : String(v);
        break;
      case 'boolean':
        key += v ? 't' : 'f';
        break;
      default:
        key +=
          v === null || v === undefined
            ? 'N'
            : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
    }
    key += ',';
  }
  return key;
}

/** Whether two rows have the same exactKey, found without building either key. */
export function sameRow(a: readonly Value[], b: readonly Value[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    // SameValue: -0 is not 0 and NaN is NaN, as in the key; a bigint is never a number there.
    if (Object.is(x, y)) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (exactKey([x]) !== exactKey([y])) return false;
  }
  return true;
}
