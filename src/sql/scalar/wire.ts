/**
 * The wire form: how a value leaves the engine (in SUBSCRIBE rows, to browsers, to pg-wire clients),
 * identical on the delta path and on the PGlite path. JSON-safe by design (rows are keyed by their
 * JSON text): no BigInt, no Date.
 *
 * | type | wire |
 * |---|---|
 * | boolean | true / false |
 * | smallint, integer | number |
 * | bigint | number when a safe integer, else its digits as a string |
 * | numeric | Postgres's text ('1.5000000000000000', 'NaN') |
 * | real, double precision | number; 'NaN', 'Infinity', '-Infinity' as strings |
 * | text, character varying | string |
 * | timestamp with time zone | Postgres's text, TimeZone UTC: '2026-05-05 10:00:00.123+00' |
 * | timestamp without time zone | '2026-05-05 10:00:00.123' |
 * | date | '2026-05-05' |
 * | interval | Postgres's text: '00:05:00', '1 day 02:00:00' |
 * | jsonb | Postgres's text: '{"a": 1}' |
 */
import type { SqlType, Value } from './interface.js';
import { realAsDouble } from './floats.js';
import { formatOutput, parseInput } from './values.js';

export type WireValue = boolean | number | string | null;

function floatWire(v: number): number | string {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

export function toWire(type: SqlType, v: Value): WireValue {
  if (v === null) return null;
  switch (type) {
    case 'boolean':
      return v as boolean;
    case 'smallint':
    case 'integer':
      return v as number;
    case 'bigint':
      return typeof v === 'bigint' ? v.toString() : (v as number);
    case 'real':
      return floatWire(realAsDouble(v as number));
    case 'double precision':
      return floatWire(v as number);
    case 'numeric':
    case 'text':
    case 'character varying':
    case 'jsonb':
    case 'unknown':
      return v as string;
    default:
      return formatOutput(type, v);
  }
}

/** The internal value of a wire value (a view read back, a row from another engine). */
export function fromWire(type: SqlType, w: WireValue): Value {
  if (w === null) return null;
  switch (type) {
    case 'boolean':
      return w;
    case 'smallint':
    case 'integer':
      return w;
    case 'bigint':
      return typeof w === 'number' ? w : parseInput(type, String(w));
    case 'real':
      return Math.fround(typeof w === 'number' ? w : (parseInput(type, String(w)) as number));
    case 'double precision':
      return typeof w === 'number' ? w : parseInput(type, String(w));
    default:
      return parseInput(type, String(w));
  }
}

const text = (v: string): string => v;

function int8Wire(v: string): number | string {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}

function floatText(v: string): number | string {
  const n = Number(v);
  return Number.isFinite(n) ? n : v;
}

/**
 * Postgres's type OIDs (fixed in its catalog, pg_type.dat), written here rather than imported from
 * PGlite's `types` so that the scalar library, which every delta view uses, never loads PGlite's
 * JavaScript: importing it cost about 0.3 s of every start even when no view runs on PGlite.
 */
const OID = {
  BOOL: 16,
  INT2: 21,
  INT4: 23,
  INT8: 20,
  NUMERIC: 1700,
  FLOAT4: 700,
  FLOAT8: 701,
  TEXT: 25,
  VARCHAR: 1043,
  TIMESTAMP: 1114,
  TIMESTAMPTZ: 1184,
  DATE: 1082,
  INTERVAL: 1186,
  JSONB: 3802,
  JSON: 114,
} as const;

/**
 * `parsers` for `PGlite.create` (keyed by type OID) that make PGlite's rows come out in the wire
 * form above, so that the PGlite path and the delta path emit the same values for the same SQL.
 */
export const PGLITE_PARSERS: Record<number, (value: string) => unknown> = {
  [OID.BOOL]: (v) => v === 't',
  [OID.INT2]: (v) => Number(v),
  [OID.INT4]: (v) => Number(v),
  [OID.INT8]: int8Wire,
  [OID.NUMERIC]: text,
  [OID.FLOAT4]: floatText,
  [OID.FLOAT8]: floatText,
  [OID.TEXT]: text,
  [OID.VARCHAR]: text,
  [OID.TIMESTAMP]: text,
  [OID.TIMESTAMPTZ]: text,
  [OID.DATE]: text,
  [OID.INTERVAL]: text,
  [OID.JSONB]: text,
  [OID.JSON]: text,
};
