/**
 * The compiled form of one expression node: its type and a closure over the row. Compiling a tree
 * composes closures once, so evaluating a row allocates nothing for column, integer and text
 * expressions. Untyped literals ('abc', NULL) keep their text until context gives them a type,
 * as Postgres's "unknown" literals do.
 */
import { SqlCompileError, SqlEvalError, type EvalContext, type SqlType, type Value } from './interface.js';
import { castFunction, isImplicitCast } from './casts.js';

export type Ev = (row: readonly Value[], ctx: EvalContext) => Value;

export interface Expr {
  type: SqlType;
  ev: Ev;
  /** The text of an untyped string literal (type 'unknown'), to be read by the type context picks. */
  literal?: string;
  /** True when the value does not depend on the row or the context: it is folded at compile time. */
  constant?: boolean;
  /** The scope index when the expression is a bare column reference (for the fast paths). */
  column?: number;
  /**
   * Substituted scope columns (CompileOptions.substitute: a grouped query's aggregate calls and
   * keys) the expression reads, one entry per occurrence.
   */
  slots?: readonly number[];
  /** Occurrences of substituted columns that folding removed (see `foldStrict`, AND / OR). */
  dropped?: readonly number[];
}

const NO_ROW: readonly Value[] = [];
const NO_CTX: EvalContext = { timestamp: 0 };

export function constantExpr(type: SqlType, value: Value): Expr {
  return { type, ev: () => value, constant: true };
}

/** The value of a constant expression; undefined when `e` is not constant or its value is an error. */
export function constantValue(e: Expr): Value | undefined {
  if (!e.constant) return undefined;
  try {
    return e.ev(NO_ROW, NO_CTX);
  } catch (error) {
    if (error instanceof SqlEvalError) return undefined;
    throw error;
  }
}

/** `e` built from `inputs`: it reads their substituted columns, and what they dropped stays dropped. */
function tracked(e: Expr, inputs: readonly Expr[]): Expr {
  const slots = inputs.flatMap((i) => i.slots ?? []);
  const dropped = inputs.flatMap((i) => i.dropped ?? []);
  if (slots.length === 0 && dropped.length === 0) return e;
  return { ...e, ...(slots.length > 0 ? { slots } : {}), ...(dropped.length > 0 ? { dropped } : {}) };
}

/**
 * A constant that replaces an expression over `inputs` without evaluating them (Postgres folds it
 * while planning): their substituted columns are dropped, so an aggregate read only there is
 * never computed, as in Postgres.
 */
export function replacedBy(type: SqlType, value: Value, inputs: readonly Expr[]): Expr {
  const dropped = inputs.flatMap((i) => [...(i.slots ?? []), ...(i.dropped ?? [])]);
  return { ...constantExpr(type, value), ...(dropped.length > 0 ? { dropped } : {}) };
}

/**
 * Folds an expression whose inputs are all constant. An evaluation error is left for run time:
 * the row that reaches it is in error, as a view in Materialize is, instead of the view failing to compile.
 */
export function fold(e: Expr, inputs: readonly Expr[]): Expr {
  if (!inputs.every((i) => i.constant)) return tracked(e, inputs);
  try {
    return tracked(constantExpr(e.type, e.ev(NO_ROW, NO_CTX)), inputs);
  } catch (error) {
    if (error instanceof SqlEvalError) return tracked(e, inputs);
    throw error;
  }
}

/**
 * Folds a call of a strict function or operator (NULL in, NULL out). As Postgres's planner does
 * (eval_const_expressions), a constant NULL argument makes the call a constant NULL at once: the
 * other arguments are never evaluated, so an error they would raise never happens.
 */
export function foldStrict(e: Expr, inputs: readonly Expr[]): Expr {
  if (inputs.some((i) => i.constant && constantValue(i) === null)) return replacedBy(e.type, null, inputs);
  return fold(e, inputs);
}

/** An untyped literal read as `type` now (Postgres does it while parsing: errors are compile errors). */
function readLiteral(e: Expr, type: SqlType): Expr {
  if (e.literal === undefined) return constantExpr(type, null);
  const cast = castFunction('unknown', type);
  if (!cast) throw new SqlCompileError('42846', `cannot cast type unknown to ${type}`);
  try {
    return constantExpr(type, cast(e.literal));
  } catch (error) {
    if (error instanceof SqlEvalError) throw new SqlCompileError(error.sqlstate, error.message);
    throw error;
  }
}

/** Converts `e` to `type` where Postgres would do it implicitly; a compile error otherwise. */
export function coerce(e: Expr, type: SqlType, what = 'expression'): Expr {
  if (e.type === type) return e;
  if (e.type === 'unknown') return readLiteral(e, type);
  if (!isImplicitCast(e.type, type)) {
    throw new SqlCompileError('42804', `${what} is of type ${e.type} but expression is of type ${type}`);
  }
  return castExpr(e, type);
}

/** An explicit cast (`::type`, CAST). */
export function castExpr(e: Expr, type: SqlType, typmod?: [number, number?]): Expr {
  if (e.type === 'unknown') {
    if (e.literal === undefined) return constantExpr(type, null);
    if (!typmod) return readLiteral(e, type);
  }
  const inner = e.type === 'unknown' ? readLiteral(e, 'text') : e;
  const fn = castFunction(inner.type, type, typmod);
  if (!fn) throw new SqlCompileError('42846', `cannot cast type ${inner.type} to ${type}`);
  const iev = inner.ev;
  return fold(
    {
      type,
      ev: (row, ctx) => {
        const v = iev(row, ctx);
        return v === null ? null : fn(v);
      },
    },
    [inner],
  );
}

/** A strict unary function: NULL in, NULL out. */
export function strict1(type: SqlType, a: Expr, fn: (x: Value) => Value): Expr {
  const ae = a.ev;
  return foldStrict(
    {
      type,
      ev: (row, ctx) => {
        const x = ae(row, ctx);
        return x === null ? null : fn(x);
      },
    },
    [a],
  );
}

/** A strict binary function. Both sides are evaluated before the NULL check, as Postgres does. */
export function strict2(type: SqlType, a: Expr, b: Expr, fn: (x: Value, y: Value) => Value): Expr {
  const ae = a.ev;
  const be = b.ev;
  return foldStrict(
    {
      type,
      ev: (row, ctx) => {
        const x = ae(row, ctx);
        const y = be(row, ctx);
        return x === null || y === null ? null : fn(x, y);
      },
    },
    [a, b],
  );
}
