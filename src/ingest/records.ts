/**
 * Maps a recentchange event (nested JSON) to a row of the input table, by column name:
 * a column is filled from the event field of the same name, else from `head.rest` of a nested
 * object (`length_new` <- length.new, `meta_uri` <- meta.uri), with two aliases kept from the
 * original demo: `r_ts` <- timestamp and `r_schema` <- $schema. Values that do not fit the column's
 * type become NULL, and text Postgres cannot store is repaired, instead of failing the whole
 * transaction.
 */
import type { Column, InputRecord } from '../engine/types.js';
import type { RawEvent } from '../sources/types.js';

const ALIASES: Record<string, string[]> = { r_ts: ['timestamp'], r_schema: ['$schema'] };

type Coerce = (value: unknown) => unknown;

const INTEGER_BITS: Record<string, number> = {
  bigint: 64,
  int8: 64,
  integer: 32,
  int4: 32,
  int: 32,
  smallint: 16,
  int2: 16,
};

function coercerFor(type: string): Coerce {
  const bits = INTEGER_BITS[type];
  if (bits !== undefined) {
    // Out of the type's range would fail the whole transaction in Postgres: NULL instead. (JSON.parse
    // has already rounded integers beyond 2^53; 2^63 itself, a rounded int8 maximum, does not fit.)
    const limit = 2 ** (bits - 1);
    return (v) => (typeof v === 'number' && Number.isInteger(v) && v >= -limit && v < limit ? v : null);
  }
  if (/^(double precision|real|numeric)/.test(type))
    return (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  if (type === 'boolean') return (v) => (typeof v === 'boolean' ? v : null);
  if (type === 'jsonb' || type === 'json')
    return (v) =>
      v === undefined ? null : JSON.parse(JSON.stringify(v), (_key, x: unknown) => cleanText(x));
  return (v) =>
    v === undefined || v === null
      ? null
      : typeof v === 'string'
        ? cleanText(v)
        : cleanText(JSON.stringify(v));
}

const NUL = String.fromCharCode(0);
const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Postgres text cannot hold NUL, and its JSON parser refuses a lone UTF-16 surrogate: either would
 * fail the whole transaction, and a replay would fail on the same event after every restart. Both
 * become U+FFFD, the replacement character.
 */
function cleanText<T>(value: T): T | string {
  if (typeof value !== 'string' || !(value.includes(NUL) || SURROGATE.test(value))) return value;
  return value.replaceAll(NUL, '\uFFFD').replace(LONE_SURROGATE, '\uFFFD');
}

function pathFor(column: string): string[] {
  const alias = ALIASES[column];
  if (alias) return alias;
  return [column];
}

function lookup(event: RawEvent, column: string): unknown {
  for (const key of pathFor(column)) {
    if (key in event) return event[key];
  }
  const split = column.indexOf('_');
  if (split > 0) {
    const head = event[column.slice(0, split)];
    if (typeof head === 'object' && head !== null && !Array.isArray(head)) {
      return (head as Record<string, unknown>)[column.slice(split + 1)];
    }
  }
  return undefined;
}

export type RecordMapper = (event: RawEvent) => InputRecord;

export function recordMapper(columns: Column[]): RecordMapper {
  const fields = columns.map((c) => ({ name: c.name, coerce: coercerFor(c.type) }));
  return (event) => {
    const record: InputRecord = {};
    for (const { name, coerce } of fields) record[name] = coerce(lookup(event, name));
    return record;
  };
}
