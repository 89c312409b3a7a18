/**
 * Postgres integers: smallint and integer are JavaScript numbers; bigint is a number while it is a
 * safe integer and a BigInt beyond, so that equal values always have one representation (`===`
 * works, and a key is `String(value)`). Every operation checks the result's range as Postgres does.
 */
import { SqlEvalError, type SqlType } from './interface.js';

export type Int8 = number | bigint;

const INT2_MAX = 32767;
const INT4_MAX = 2147483647;
export const INT8_MAX = 9223372036854775807n;
export const INT8_MIN = -9223372036854775808n;

export type IntType = 'smallint' | 'integer' | 'bigint';

export function isIntType(type: SqlType): type is IntType {
  return type === 'smallint' || type === 'integer' || type === 'bigint';
}

/** The wider of two integer types: Postgres has int2/int4/int8 operators for every mix. */
export function widerInt(a: IntType, b: IntType): IntType {
  if (a === 'bigint' || b === 'bigint') return 'bigint';
  if (a === 'integer' || b === 'integer') return 'integer';
  return 'smallint';
}

export function outOfRange(type: IntType): SqlEvalError {
  return new SqlEvalError('22003', `${type} out of range`);
}

/** A BigInt or number as the normalized bigint-column value (number when safe). */
export function normInt8(v: bigint): Int8 {
  if (v > INT8_MAX || v < INT8_MIN) throw outOfRange('bigint');
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** Checks a number result (exact or not) against a 16- or 32-bit range; -0 becomes 0. */
function checkSmall(r: number, type: 'smallint' | 'integer'): number {
  const max = type === 'integer' ? INT4_MAX : INT2_MAX;
  if (r > max || r < -max - 1) throw outOfRange(type);
  return r + 0;
}

export function intAdd(type: IntType, a: Int8, b: Int8): Int8 {
  if (type !== 'bigint') return checkSmall((a as number) + (b as number), type);
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    if (Number.isSafeInteger(r)) return r;
  }
  return normInt8(BigInt(a) + BigInt(b));
}

export function intSub(type: IntType, a: Int8, b: Int8): Int8 {
  if (type !== 'bigint') return checkSmall((a as number) - (b as number), type);
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a - b;
    if (Number.isSafeInteger(r)) return r;
  }
  return normInt8(BigInt(a) - BigInt(b));
}

export function intMul(type: IntType, a: Int8, b: Int8): Int8 {
  // A double product beyond 2^31 is beyond the range exactly when the true product is: the check is exact.
  if (type !== 'bigint') return checkSmall((a as number) * (b as number), type);
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a * b;
    if (Number.isSafeInteger(r)) return r + 0;
  }
  return normInt8(BigInt(a) * BigInt(b));
}

const DIV_SAFE = 2 ** 31;

/** Integer division truncates toward zero; a zero divisor is 22012, MIN / -1 overflows. */
export function intDiv(type: IntType, a: Int8, b: Int8): Int8 {
  if (b === 0) throw new SqlEvalError('22012', 'division by zero');
  if (typeof a === 'number' && typeof b === 'number' && Math.abs(a) <= DIV_SAFE && Math.abs(b) <= DIV_SAFE) {
    const r = Math.trunc(a / b) + 0;
    return type === 'bigint' ? r : checkSmall(r, type);
  }
  return normInt8(BigInt(a) / BigInt(b));
}

export function intMod(type: IntType, a: Int8, b: Int8): Int8 {
  if (b === 0) throw new SqlEvalError('22012', 'division by zero');
  if (typeof a === 'number' && typeof b === 'number') return (a % b) + 0;
  void type;
  return normInt8(BigInt(a) % BigInt(b));
}

export function intNeg(type: IntType, a: Int8): Int8 {
  return intSub(type, 0, a);
}

export function intAbs(type: IntType, a: Int8): Int8 {
  return a < 0 ? intNeg(type, a) : a;
}

export function compareInt(a: Int8, b: Int8): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Parses Postgres integer input text ('  -12 ', '+5'); Postgres 16+ also takes '1_000', 0x, 0o, 0b. */
export function parseIntText(type: IntType, text: string): Int8 {
  const m =
    /^\s*([+-]?)(0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|0[oO][0-7](?:_?[0-7])*|0[bB][01](?:_?[01])*|\d(?:_?\d)*)\s*$/.exec(
      text,
    );
  if (!m) throw new SqlEvalError('22P02', `invalid input syntax for type ${type}: "${text}"`);
  const digits = (m[2] ?? '').replace(/_/g, '');
  let v = BigInt(digits);
  if (m[1] === '-') v = -v;
  if (type === 'bigint') {
    if (v > INT8_MAX || v < INT8_MIN)
      throw new SqlEvalError('22003', `value "${text}" is out of range for type bigint`);
    return normInt8(v);
  }
  const max = type === 'integer' ? INT4_MAX : INT2_MAX;
  if (v > BigInt(max) || v < BigInt(-max - 1))
    throw new SqlEvalError('22003', `value "${text}" is out of range for type ${type}`);
  return Number(v);
}

/** Range-checks an exact integer (number or BigInt) for `type`. */
export function toIntType(type: IntType, v: Int8): Int8 {
  if (type === 'bigint') return typeof v === 'bigint' ? normInt8(v) : v;
  const n = Number(v);
  return checkSmall(n, type);
}
