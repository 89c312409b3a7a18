/**
 * Casts between the supported types, with Postgres's results and errors: numeric -> integer rounds
 * half away from zero, double -> integer rounds half to even (rint), double -> numeric goes through
 * 15 significant digits, text -> T is T's input function, T -> text its output function.
 */
import { SqlEvalError, type SqlType, type Value } from './interface.js';
import { isIntType, normInt8, outOfRange, toIntType, type Int8, type IntType } from './integers.js';
import {
  numericApplyTypmod,
  numericFromFloat,
  numericFromInt,
  numericToBigInt,
  numericToFloat,
  type Numeric,
} from './numeric.js';
import { formatOutput, parseInput } from './values.js';
import { isTextType } from './types.js';
import { US_PER_DAY, joinMicros, splitMicros, type Micros } from './datetime.js';

export type CastFn = (v: Value) => Value;

/** Round half to even, as C's rint does in float -> integer casts. */
function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function floatToInt(type: IntType, x: number): Int8 {
  if (!Number.isFinite(x)) throw outOfRange(type);
  const r = rint(x);
  if (type === 'bigint') {
    if (r >= 9223372036854775808 || r < -9223372036854775808) throw outOfRange(type);
    return Number.isSafeInteger(r) ? r + 0 : normInt8(BigInt(r));
  }
  return toIntType(type, r + 0);
}

function intToBool(v: Value): Value {
  return v !== 0;
}

const identity: CastFn = (v) => v;

/**
 * The conversion from `from` to `to`, or undefined when Postgres has no such cast. `typmod` is
 * numeric(p, s)'s [p, s] or varchar(n)'s [n] (explicit casts truncate varchar, as Postgres does).
 */
export function castFunction(from: SqlType, to: SqlType, typmod?: [number, number?]): CastFn | undefined {
  const base = baseCast(from, to);
  if (!base || !typmod) return base;
  if (to === 'numeric') {
    const [p, s] = typmod;
    return (v) => numericApplyTypmod(base(v) as Numeric, p, s ?? 0);
  }
  if (to === 'character varying') {
    const [n] = typmod;
    return (v) => {
      const s = base(v) as string;
      return s.length <= n ? s : Array.from(s).slice(0, n).join('');
    };
  }
  return base;
}

function baseCast(from: SqlType, to: SqlType): CastFn | undefined {
  if (from === to) return identity;
  if (from === 'unknown' || isTextType(from)) {
    if (isTextType(to)) return identity;
    return (v) => parseInput(to, v as string);
  }
  if (isTextType(to)) return (v) => formatOutput(from, v);
  if (isIntType(from)) {
    if (isIntType(to)) return (v) => toIntType(to, v as Int8);
    if (to === 'numeric') return (v) => numericFromInt(v as Int8);
    if (to === 'double precision') return (v) => Number(v);
    if (to === 'real') return (v) => Math.fround(Number(v));
    if (to === 'boolean' && from === 'integer') return intToBool;
    return undefined;
  }
  if (from === 'numeric') {
    if (isIntType(to)) return (v) => toIntType(to, normIntResult(to, numericToBigInt(v as Numeric, to)));
    if (to === 'double precision') return (v) => numericToFloat(v as Numeric);
    if (to === 'real') return (v) => Math.fround(numericToFloat(v as Numeric));
    return undefined;
  }
  if (from === 'real' || from === 'double precision') {
    if (isIntType(to)) return (v) => floatToInt(to, v as number);
    if (to === 'numeric') return (v) => numericFromFloat(v as number, from === 'real' ? 6 : 15);
    if (to === 'double precision') return identity;
    if (to === 'real') return (v) => checkReal(v as number);
    return undefined;
  }
  if (from === 'boolean' && to === 'integer') return (v) => (v ? 1 : 0);
  return dateTimeCast(from, to);
}

function normIntResult(type: IntType, v: bigint): Int8 {
  if (type === 'bigint') return normInt8(v);
  if (v > 2147483647n || v < -2147483648n) throw outOfRange(type);
  return Number(v);
}

function checkReal(v: number): number {
  const r = Math.fround(v);
  if (Number.isFinite(v) && !Number.isFinite(r))
    throw new SqlEvalError('22003', 'value out of range: overflow');
  if (v !== 0 && r === 0) throw new SqlEvalError('22003', 'value out of range: underflow');
  return r;
}

function dateTimeCast(from: SqlType, to: SqlType): CastFn | undefined {
  const fromTs = from === 'timestamp with time zone' || from === 'timestamp without time zone';
  const toTs = to === 'timestamp with time zone' || to === 'timestamp without time zone';
  // TimeZone is UTC: a timestamp and a timestamptz hold the same microseconds.
  if (fromTs && toTs) return identity;
  if (from === 'date' && toTs) return (v) => (Number.isFinite(v as number) ? joinMicros(v as number, 0) : v);
  if (fromTs && to === 'date')
    return (v) => {
      if (typeof v === 'number' && !Number.isFinite(v)) return v;
      return splitMicros(v as Micros)[0];
    };
  void US_PER_DAY;
  return undefined;
}

/** Casts that Postgres applies without being asked (numeric widening, varchar <-> text, date -> timestamp). */
export function isImplicitCast(from: SqlType, to: SqlType): boolean {
  if (from === to || from === 'unknown') return true;
  const rank: Partial<Record<SqlType, number>> = {
    smallint: 0,
    integer: 1,
    bigint: 2,
    numeric: 3,
    real: 4,
    'double precision': 5,
  };
  const a = rank[from];
  const b = rank[to];
  if (a !== undefined && b !== undefined) return a < b;
  if (isTextType(from) && isTextType(to)) return true;
  if (from === 'date') return to === 'timestamp without time zone' || to === 'timestamp with time zone';
  return from === 'timestamp without time zone' && to === 'timestamp with time zone';
}
