/**
 * How a reduce finds a row's group in memory. The store knows a group by its `valuesKey`, a string
 * built from every key value; building and hashing that string for every input row cost more than
 * the rest of a count's step. A single key column whose values are their own identity is looked up
 * by the value itself: text and boolean as they are (equal exactly when their valuesKey is), an
 * integer (and a timestamp or date: microseconds or days, ±Infinity) as a number (a BigInt within
 * 2^53 as the number it equals, beyond as its digits, which no number equals). A global aggregate has one group, ''. Any other key keeps its valuesKey.
 */
import type { SqlType, Value } from '../../sql/scalar/interface.js';
import { valuesKey } from '../../sql/scalar/values.js';

export type GroupLookup = 'global' | 'value' | 'integer' | 'string';

export function groupLookup(keyTypes: readonly SqlType[], global: boolean): GroupLookup {
  if (global) return 'global';
  if (keyTypes.length !== 1) return 'string';
  switch (keyTypes[0]) {
    case 'text':
    case 'character varying':
    case 'boolean':
      return 'value';
    case 'smallint':
    case 'integer':
    case 'bigint':
    case 'timestamp with time zone':
    case 'timestamp without time zone':
    case 'date':
      return 'integer';
    default:
      return 'string';
  }
}

/** The lookup key of the group of `row`, whose first columns are the group key. */
export function lookupKey(lookup: GroupLookup, keyTypes: readonly SqlType[], row: readonly Value[]): unknown {
  switch (lookup) {
    case 'global':
      return '';
    case 'value':
      return row[0] ?? null;
    case 'integer': {
      const v = row[0] ?? null;
      if (typeof v !== 'bigint') return v;
      return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : String(v);
    }
    case 'string':
      return valuesKey(keyTypes, row, keyTypes.length);
  }
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
