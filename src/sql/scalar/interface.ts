/**
 * Postgres scalar semantics for the delta path: the contract between the expression compiler
 * (src/sql/scalar/) and its users (the planner and the delta operators). Everything here must agree
 * with PGlite (Postgres 18, collation C, TimeZone UTC) on the same SQL: property tests prove it.
 *
 * Values inside the delta path ("internal values") are chosen by the scalar library; other code only
 * moves them around, compares them with `compareValues`, hashes them with `valueKey`, and converts
 * them at the edges with `fromInput` and `toWire`.
 *
 * The implementations are exported by `index.ts`: `compileExpr(node, scope, options?)`,
 * `aggregate(name, argType, {distinct, star})`, `compareValues(type, a, b)` (NULLs last),
 * `valueKey(type, v)` and `valuesKey(types, values)`, `fromInput(type, json)`, `parseInput` /
 * `formatOutput` (Postgres's text), `toWire` / `fromWire` and `PGLITE_PARSERS` (wire.ts has the
 * table of wire forms; values.ts the table of internal values).
 *
 * Additions since the first version of this contract: `CompileOptions.substitute` (the planner
 * maps aggregate calls and GROUP BY expressions to its own columns), `valuesKey`, `NULL_KEY`.
 */

/** The column types of both paths, named exactly as Postgres's `format_type` prints them. */
export const COLUMN_TYPES = [
  'boolean',
  'smallint',
  'integer',
  'bigint',
  'numeric',
  'real',
  'double precision',
  'text',
  'character varying',
  'timestamp without time zone',
  'timestamp with time zone',
  'date',
  'interval',
  'jsonb',
] as const;

/**
 * Type names exactly as Postgres's `format_type` prints them (what `ViewInfo.columns[].type` holds),
 * plus `unknown`: the type of a bare NULL or an untyped string literal before context resolves it.
 */
export type SqlType = (typeof COLUMN_TYPES)[number] | 'unknown';

/** An internal value. `null` is SQL NULL; the rest is up to the scalar library (plain data only). */
export type Value = unknown;

export interface ScopeColumn {
  name: string;
  type: SqlType;
  /** The relation (or alias) the column belongs to, for `t.col` references. */
  relation?: string;
}

export interface Scope {
  columns: ScopeColumn[];
}

export interface CompileOptions {
  /**
   * Consulted for every node before it is compiled: a scope column index makes the node read that
   * column instead. The planner maps aggregate calls (`count(*)` in HAVING or a select list) and
   * GROUP BY expressions to the columns of its own operators this way.
   */
  substitute?(node: unknown): number | undefined;
}

/** Evaluation context: the transaction's timestamp, for `mz_now()` and `now()`. */
export interface EvalContext {
  timestamp: number;
}

export interface CompiledExpr {
  type: SqlType;
  /**
   * Evaluates over one row of the scope's columns (internal values, in scope order). Throws
   * `SqlEvalError` for a run-time error Postgres would raise (division by zero, a bad cast, an
   * overflow): the caller turns it into an error that is data (see engine/delta/interface.ts).
   */
  eval(row: readonly Value[], ctx: EvalContext): Value;
  /** The scope index when the expression is a bare column reference: its value is that column's. */
  column?: number;
  /**
   * Uses of substituted columns that constant folding removed, one entry per use (`count(x) IS
   * NULL OR TRUE` is TRUE): an aggregate whose every use was removed is not computed, as in Postgres.
   */
  dropped?: readonly number[];
}

/** The expression (or aggregate) is valid SQL but the delta path does not support it: a fallback reason. */
export class Unsupported extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'Unsupported';
  }
}

/** A run-time error with Postgres's SQLSTATE and message (e.g. 22012 "division by zero"). */
export class SqlEvalError extends Error {
  constructor(
    readonly sqlstate: string,
    message: string,
  ) {
    super(message);
    this.name = 'SqlEvalError';
  }
}

/**
 * A compile-time error Postgres would also raise (unknown column, no such function for these
 * argument types, type mismatch): the view cannot be created on either path.
 */
export class SqlCompileError extends Error {
  constructor(
    readonly sqlstate: string,
    message: string,
  ) {
    super(message);
    this.name = 'SqlCompileError';
  }
}

/** An aggregate call, resolved against its argument type. */
export interface AggregateDef {
  resultType: SqlType;
  /**
   * `accumulable`: count, sum, avg. State is a plain accumulator; a retraction steps with a
   * negative diff. `hierarchical`: min, max, whose operator keeps an ordered multiset of values
   * per group and reads its first or last (ordered by `compareValues(argType, ...)`).
   */
  kind: 'accumulable' | 'hierarchical';
  /** Accumulable only: the empty accumulator (plain, persistable data: numbers, bigints, strings, arrays). */
  zero(): unknown;
  /** Accumulable only: adds `diff` copies of the non-null `value` (diff may be negative). */
  step(acc: unknown, value: Value, diff: number): unknown;
  /**
   * Accumulable only: the aggregate's value given the number of non-null inputs counted in `acc`
   * (sum and avg of no rows are NULL; count is 0). May throw SqlEvalError (numeric overflow).
   */
  finish(acc: unknown, nonNull: number): Value;
}
