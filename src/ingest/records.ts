/**
 * Maps a recentchange event (nested JSON) to a row of the input table, by column name:
 * a column is filled from the event field of the same name, else from `head.rest` of a nested
 * object (`length_new` <- length.new, `meta_uri` <- meta.uri), with two aliases kept from the
 * original demo: `r_ts` <- timestamp and `r_schema` <- $schema. Values that do not fit the column's
 * type become NULL instead of failing the whole transaction.
 */
import type { Column, InputRecord } from '../engine/types.js';
import type { RawEvent } from '../sources/types.js';

const ALIASES: Record<string, string[]> = { r_ts: ['timestamp'], r_schema: ['$schema'] };

type Coerce = (value: unknown) => unknown;

function coercerFor(type: string): Coerce {
  if (/^(bigint|integer|smallint|int\d?)$/.test(type)) {
    return (v) => (typeof v === 'number' && Number.isInteger(v) ? v : null);
  }
  if (/^(double precision|real|numeric)/.test(type))
    return (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  if (type === 'boolean') return (v) => (typeof v === 'boolean' ? v : null);
  if (type === 'jsonb' || type === 'json') return (v) => (v === undefined ? null : v);
  return (v) => (v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v));
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
