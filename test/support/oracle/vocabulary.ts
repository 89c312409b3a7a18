/**
 * The words the expression generator draws from: date_trunc units, date_bin strides, extract
 * fields, LIKE pattern pieces (wildcards, escapes, astral and combining characters), and the
 * conversions that make a value of a type a scope lacks from one it has.
 */
import type { ColumnType } from './values.js';

export const ORDERABLE: readonly ColumnType[] = [
  'integer',
  'bigint',
  'numeric',
  'text',
  'boolean',
  'timestamptz',
];
export const BIN_STRIDES = ['15 minutes', '1 hour', '90 seconds', '1 day', '7 days', '1 millisecond'];
export const BIN_ORIGINS = ['2001-01-01 00:00:00+00', '1970-01-01 00:00:00+00', '2026-05-05 12:34:56.789+00'];
export const TRUNC_UNITS = ['second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'];
export const EXTRACT_FIELDS = [
  'epoch',
  'year',
  'month',
  'day',
  'hour',
  'minute',
  'second',
  'millisecond',
  'dow',
];
export const LIKE_PARTS = ['%', '_', 'a', 'A', 'b', 'ß', 'é', '😀', '\\%', '\\_', 'e\u0301', 'SS', ' '];

/** Ways to make a value of `type` from a leaf of another type, when the scope has none of `type`. */
export const CONVERSIONS: Record<ColumnType, Array<[from: ColumnType, make: (x: string) => string]>> = {
  integer: [
    ['text', (x) => `length(${x})`],
    ['bigint', (x) => `(${x} % 1000)::integer`],
  ],
  bigint: [
    ['integer', (x) => `(${x})::bigint`],
    ['numeric', (x) => `round(${x})::bigint`],
  ],
  numeric: [
    ['bigint', (x) => `(${x})::numeric`],
    ['integer', (x) => `(${x})::numeric`],
  ],
  text: ORDERABLE.filter((t) => t !== 'text').map((t) => [t, (x: string) => `(${x})::text`]),
  boolean: ORDERABLE.map((t) => [t, (x: string) => `(${x} IS NULL)`]),
  timestamptz: [['integer', (x) => `to_timestamp(${x})`]],
};
