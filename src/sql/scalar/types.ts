/**
 * Type names and categories: resolving a cast's type name, and the result type of mixed numeric
 * arithmetic as Postgres's operator resolution picks it (int4 + float4 is float8, int + numeric is
 * numeric, smallint + smallint stays smallint).
 */
import { SqlCompileError, Unsupported, type SqlType } from './interface.js';

export type NumericFamily = 'smallint' | 'integer' | 'bigint' | 'numeric' | 'real' | 'double precision';

export function isNumericFamily(t: SqlType): t is NumericFamily {
  return (
    t === 'smallint' ||
    t === 'integer' ||
    t === 'bigint' ||
    t === 'numeric' ||
    t === 'real' ||
    t === 'double precision'
  );
}

export function isTextType(t: SqlType): boolean {
  return t === 'text' || t === 'character varying';
}

export function isTimestamp(t: SqlType): boolean {
  return t === 'timestamp with time zone' || t === 'timestamp without time zone';
}

/** The common type of two numeric operands. */
export function numericResult(a: NumericFamily, b: NumericFamily): NumericFamily {
  if (a === 'real' && b === 'real') return 'real';
  if (a === 'real' || b === 'real' || a === 'double precision' || b === 'double precision')
    return 'double precision';
  if (a === 'numeric' || b === 'numeric') return 'numeric';
  if (a === 'bigint' || b === 'bigint') return 'bigint';
  if (a === 'integer' || b === 'integer') return 'integer';
  return 'smallint';
}

const NAMES: Record<string, SqlType> = {
  bool: 'boolean',
  boolean: 'boolean',
  int2: 'smallint',
  smallint: 'smallint',
  int4: 'integer',
  int: 'integer',
  integer: 'integer',
  int8: 'bigint',
  bigint: 'bigint',
  numeric: 'numeric',
  decimal: 'numeric',
  float4: 'real',
  real: 'real',
  float8: 'double precision',
  'double precision': 'double precision',
  text: 'text',
  varchar: 'character varying',
  'character varying': 'character varying',
  timestamp: 'timestamp without time zone',
  timestamptz: 'timestamp with time zone',
  date: 'date',
  interval: 'interval',
  jsonb: 'jsonb',
};

/** The short name Postgres uses in messages ('integer', 'timestamp with time zone'). */
export function typeLabel(t: SqlType): string {
  return t;
}

export interface ResolvedTypeName {
  type: SqlType;
  /** numeric(p, s) precision and scale; varchar(n) length in `p`. */
  p?: number;
  s?: number;
}

interface TypeNameNode {
  names?: Array<{ String?: { sval?: string } }>;
  typmods?: unknown[];
  arrayBounds?: unknown[];
}

function typmodInt(node: unknown): number | undefined {
  const c = (node as { A_Const?: { ival?: { ival?: number } } }).A_Const;
  return c?.ival ? (c.ival.ival ?? 0) : undefined;
}

/** A parsed TypeName node to one of our types, or Unsupported (json, char(n), arrays, time, ...). */
export function resolveTypeName(node: TypeNameNode): ResolvedTypeName {
  const parts = (node.names ?? []).map((n) => n.String?.sval ?? '');
  const name = parts[parts.length - 1] ?? '';
  if (parts.length > 2 || (parts.length === 2 && parts[0] !== 'pg_catalog'))
    throw new Unsupported(`type ${parts.join('.')} is not supported on the delta path`);
  if (node.arrayBounds) throw new Unsupported(`array types are not supported on the delta path`);
  const type = NAMES[name];
  if (!type) {
    if (name === 'float' || name === 'double') return { type: 'double precision' };
    throw new Unsupported(`type ${name} is not supported on the delta path`);
  }
  const mods = (node.typmods ?? []).map(typmodInt);
  if (mods.some((m) => m === undefined))
    throw new SqlCompileError('42601', 'type modifiers must be simple constants');
  if (mods.length === 0) return { type };
  if (type === 'numeric') {
    const p = mods[0] ?? 0;
    const s = mods[1] ?? 0;
    if (p < 1 || p > 1000)
      throw new SqlCompileError('22023', `NUMERIC precision ${p} must be between 1 and 1000`);
    if (s < -1000 || s > 1000)
      throw new SqlCompileError('22023', `NUMERIC scale ${s} must be between -1000 and 1000`);
    return { type, p, s };
  }
  if (type === 'character varying') return { type, p: mods[0] ?? 0 };
  throw new Unsupported(`type modifiers on ${type} are not supported on the delta path`);
}
