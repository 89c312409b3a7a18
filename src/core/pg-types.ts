/**
 * Postgres types on the wire: the OIDs a RowDescription announces, and the text format of values.
 * Views carry their columns' Postgres type names; rows carry JavaScript values as the engine made
 * them (numbers, BigInts for large int8, strings for numeric, Dates, JSON objects).
 */

const OIDS: Record<string, number> = {
  boolean: 16,
  bool: 16,
  bytea: 17,
  bigint: 20,
  int8: 20,
  smallint: 21,
  int2: 21,
  integer: 23,
  int: 23,
  int4: 23,
  text: 25,
  json: 114,
  real: 700,
  float4: 700,
  'double precision': 701,
  float8: 701,
  'character varying': 1043,
  varchar: 1043,
  date: 1082,
  time: 1083,
  'time without time zone': 1083,
  timestamp: 1114,
  'timestamp without time zone': 1114,
  timestamptz: 1184,
  'timestamp with time zone': 1184,
  interval: 1186,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
};

const NAMES = new Map<number, string>([
  [16, 'boolean'],
  [17, 'bytea'],
  [20, 'bigint'],
  [21, 'smallint'],
  [23, 'integer'],
  [25, 'text'],
  [114, 'json'],
  [700, 'real'],
  [701, 'double precision'],
  [1043, 'character varying'],
  [1082, 'date'],
  [1083, 'time without time zone'],
  [1114, 'timestamp without time zone'],
  [1184, 'timestamp with time zone'],
  [1186, 'interval'],
  [1700, 'numeric'],
  [2950, 'uuid'],
  [3802, 'jsonb'],
]);

export const TEXT_OID = 25;

/** The OID for a type name; types this table does not know are announced as text. */
export function typeOid(type: string): number {
  const base = type
    .toLowerCase()
    .replace(/\(.*\)/, '')
    .trim();
  return OIDS[base] ?? TEXT_OID;
}

/** The type name for an OID, for views learned from a remote engine's RowDescription. */
export function typeName(oid: number): string {
  return NAMES.get(oid) ?? 'text';
}

/** Size in bytes for the RowDescription's `typlen` (-1: variable length). */
export function typeSize(oid: number): number {
  switch (oid) {
    case 16:
      return 1;
    case 21:
      return 2;
    case 23:
    case 700:
    case 1082:
      return 4;
    case 20:
    case 701:
    case 1083:
    case 1114:
    case 1184:
      return 8;
    case 1186:
      return 16;
    case 2950:
      return 16;
    default:
      return -1;
  }
}

/** The text format of one value, or null for SQL NULL. */
export function formatValue(value: unknown, oid: number): string | null {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      return value ? 't' : 'f';
    case 'number':
      if (Number.isNaN(value)) return 'NaN';
      if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
      return String(value);
    case 'bigint':
      return value.toString();
    default:
      break;
  }
  if (value instanceof Date) return formatDate(value, oid);
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  return JSON.stringify(value);
}

function formatDate(date: Date, oid: number): string {
  const iso = date.toISOString(); // 2026-05-05T12:00:00.123Z
  if (oid === 1082) return iso.slice(0, 10);
  const time = iso.slice(11, 23).replace(/\.000$/, '');
  if (oid === 1114) return `${iso.slice(0, 10)} ${time}`;
  return `${iso.slice(0, 10)} ${time}+00`;
}
