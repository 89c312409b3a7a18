/**
 * Binary operators as Postgres resolves them: the operand types pick the operator (int4 + int4 is
 * int4 and overflows as int4; int + numeric is numeric; int + real is double precision), an untyped
 * literal takes the other side's type, and a pair without an operator is 42883.
 */
import { SqlCompileError, SqlEvalError, Unsupported, type SqlType, type Value } from './interface.js';
import { coerce, constantValue, fold, foldStrict, replacedBy, strict2, type Ev, type Expr } from './expr.js';
import { intAdd, intDiv, intMod, intMul, intSub, isIntType, type Int8, type IntType } from './integers.js';
import { numericAdd, numericDiv, numericMod, numericMul, numericSub } from './numeric.js';
import { checkFloat } from './floats.js';
import { isNumericFamily, isTextType, isTimestamp, numericResult } from './types.js';
import { compareValues, formatOutput } from './values.js';
import { dateTimeArith } from './datetime-ops.js';
import { joinMicros, TIMESTAMP_END_DAYS } from './datetime.js';
import { fastComparison } from './fast-paths.js';

export function noOperator(op: string, a: SqlType, b: SqlType): SqlCompileError {
  return new SqlCompileError('42883', `operator does not exist: ${a} ${op} ${b}`);
}

/** Gives an untyped literal the other side's type, as Postgres assumes first. */
function settle(l: Expr, r: Expr): [Expr, Expr] {
  if (l.type === 'unknown' && r.type !== 'unknown') return [coerce(l, r.type), r];
  if (r.type === 'unknown' && l.type !== 'unknown') return [l, coerce(r, l.type)];
  return [l, r];
}

function floatOp(op: string, real: boolean): (a: Value, b: Value) => Value {
  const f = (x: number, y: number): number => {
    switch (op) {
      case '+':
        return checkFloat(x + y, x, y, real);
      case '-':
        return checkFloat(x - y, x, y, real);
      case '*':
        return checkFloat(x * y, x, y, real, '*');
      default:
        if (y === 0) throw divisionByZero();
        return checkFloat(x / y, x, y, real, '/');
    }
  };
  return f as (a: Value, b: Value) => Value;
}

function divisionByZero(): SqlEvalError {
  return new SqlEvalError('22012', 'division by zero');
}

/** One closure literal per operator keeps each call site monomorphic (integers are the hot case). */
function intArithmetic(op: string, type: IntType, a: Expr, b: Expr): Expr {
  const ae = a.ev;
  const be = b.ev;
  let ev: Ev;
  switch (op) {
    case '+':
      ev = (row, ctx) => {
        const x = ae(row, ctx);
        const y = be(row, ctx);
        return x === null || y === null ? null : intAdd(type, x as Int8, y as Int8);
      };
      break;
    case '-':
      ev = (row, ctx) => {
        const x = ae(row, ctx);
        const y = be(row, ctx);
        return x === null || y === null ? null : intSub(type, x as Int8, y as Int8);
      };
      break;
    case '*':
      ev = (row, ctx) => {
        const x = ae(row, ctx);
        const y = be(row, ctx);
        return x === null || y === null ? null : intMul(type, x as Int8, y as Int8);
      };
      break;
    default: {
      const fn = op === '/' ? intDiv : intMod;
      ev = (row, ctx) => {
        const x = ae(row, ctx);
        const y = be(row, ctx);
        return x === null || y === null ? null : fn(type, x as Int8, y as Int8);
      };
    }
  }
  return foldStrict({ type, ev }, [a, b]);
}

function numericOp(op: string): (a: Value, b: Value) => Value {
  const fn =
    op === '+'
      ? numericAdd
      : op === '-'
        ? numericSub
        : op === '*'
          ? numericMul
          : op === '/'
            ? numericDiv
            : numericMod;
  return fn as (a: Value, b: Value) => Value;
}

/** + - * / % and the date/time arithmetic (timestamp ± interval, timestamp - timestamp, ...). */
export function arithmetic(op: string, left: Expr, right: Expr): Expr {
  if (left.type === 'unknown' && right.type === 'unknown')
    throw new SqlCompileError('42725', `operator is not unique: unknown ${op} unknown`);
  const dt = dateTimeArith(op, left, right);
  if (dt) return dt;
  const [l, r] = settle(left, right);
  if (!isNumericFamily(l.type) || !isNumericFamily(r.type)) throw noOperator(op, l.type, r.type);
  const type = numericResult(l.type, r.type);
  if (op === '%' && (type === 'real' || type === 'double precision')) throw noOperator(op, l.type, r.type);
  const a = coerce(l, type);
  const b = coerce(r, type);
  if (isIntType(type)) return intArithmetic(op, type, a, b);
  if (type === 'numeric') return strict2(type, a, b, numericOp(op));
  return strict2(type, a, b, floatOp(op, type === 'real'));
}

/** The type two operands are compared in, or undefined when Postgres has no comparison for the pair. */
export function comparisonType(a: SqlType, b: SqlType): SqlType | undefined {
  // varchar has no operators of its own: it compares as text.
  if (a === b) return a === 'unknown' || a === 'character varying' ? 'text' : a;
  if (a === 'unknown') return b;
  if (b === 'unknown') return a;
  if (isNumericFamily(a) && isNumericFamily(b)) {
    // Integer types compare exactly across widths (int48eq and friends): no conversion needed.
    if (isIntType(a) && isIntType(b)) return 'bigint';
    return numericResult(a, b);
  }
  if (isTextType(a) && isTextType(b)) return 'text';
  const dateLike = (t: SqlType): boolean => t === 'date' || isTimestamp(t);
  if (dateLike(a) && dateLike(b)) {
    if (a === 'timestamp with time zone' || b === 'timestamp with time zone')
      return 'timestamp with time zone';
    return 'timestamp without time zone';
  }
  return undefined;
}

type Test = (c: number) => boolean;
const TESTS: Record<string, Test> = {
  '=': (c) => c === 0,
  '<>': (c) => c !== 0,
  '!=': (c) => c !== 0,
  '<': (c) => c < 0,
  '<=': (c) => c <= 0,
  '>': (c) => c > 0,
  '>=': (c) => c >= 0,
};

export function isComparison(op: string): boolean {
  return op in TESTS;
}

/** Both operands coerced to their comparison type. */
export function comparable(op: string, left: Expr, right: Expr): [Expr, Expr, SqlType] {
  const type = comparisonType(left.type, right.type);
  if (type === 'jsonb') throw new Unsupported('comparing jsonb values is not supported on the delta path');
  if (!type) throw noOperator(op === '!=' ? '<>' : op, left.type, right.type);
  // Integer operands of different widths are compared as they are (both are exact numbers).
  const keep = isIntType(left.type) && isIntType(right.type);
  const side = (e: Expr): Expr =>
    keep ? e : e.type === 'date' && isTimestamp(type) ? dateAsInstant(e, type) : coerce(e, type);
  return [side(left), side(right), type];
}

/**
 * A date compared with a timestamp: Postgres's cross-type operators never fail, a date past the
 * timestamps' range compares as infinity (date2timestamp_no_overflow).
 */
function dateAsInstant(e: Expr, type: SqlType): Expr {
  const ev = e.ev;
  return fold(
    {
      type,
      ev: (row, ctx) => {
        const d = ev(row, ctx) as number | null;
        if (d === null || !Number.isFinite(d)) return d;
        return d >= TIMESTAMP_END_DAYS ? Infinity : joinMicros(d, 0);
      },
    },
    [e],
  );
}

/** = <> != < <= > >= */
export function comparison(op: string, left: Expr, right: Expr): Expr {
  const test = TESTS[op];
  if (!test) throw noOperator(op, left.type, right.type);
  const [a, b, type] = comparable(op, left, right);
  // Comparisons are strict: one with a NULL constant is folded before any fast path is picked.
  if ([a, b].some((e) => e.constant && constantValue(e) === null)) return replacedBy('boolean', null, [a, b]);
  const fast = fastComparison(op, a, b, type);
  if (fast) return fold(fast, [a, b]);
  if (
    op === '=' &&
    (isIntType(type) || isTextType(type) || type === 'boolean' || type === 'date' || isTimestamp(type))
  )
    return strict2('boolean', a, b, (x, y) => x === y);
  return strict2('boolean', a, b, (x, y) => test(compareValues(type, x, y)));
}

/** text || anything (and anything || text): the non-text side goes through its output function. */
export function concat(left: Expr, right: Expr): Expr {
  const textish = (t: SqlType): boolean => isTextType(t) || t === 'unknown';
  if (!textish(left.type) && !textish(right.type)) throw noOperator('||', left.type, right.type);
  if (left.type === 'jsonb' || right.type === 'jsonb') throw noOperator('||', left.type, right.type);
  const asText = (e: Expr): Expr => {
    if (textish(e.type)) return coerce(e, 'text');
    const t = e.type;
    const ev = e.ev;
    return fold(
      {
        type: 'text',
        ev: (row, ctx) => {
          const v = ev(row, ctx);
          return v === null ? null : formatOutput(t, v);
        },
      },
      [e],
    );
  };
  return strict2('text', asText(left), asText(right), (x, y) => (x as string) + (y as string));
}
