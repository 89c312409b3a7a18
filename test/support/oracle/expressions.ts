/**
 * Random scalar expressions of a given type, as SQL text, valid Postgres by construction: every
 * operand has the type its operator expects, so Postgres resolves exactly the operator meant.
 *
 * The first operand of every compound expression reads a column (or an aggregate, in a grouped
 * scope). Postgres folds constant subexpressions while planning, so `1/0` alone would fail the
 * query even over an empty table: a difference of planning, not of semantics, that no engine over
 * rows should copy. Only a leaf may be a constant.
 */
import fc from 'fast-check';
import { constantValue, typedLiteral, type ColumnType } from './values.js';
import {
  BIN_ORIGINS,
  BIN_STRIDES,
  CONVERSIONS,
  EXTRACT_FIELDS,
  LIKE_PARTS,
  ORDERABLE,
  TRUNC_UNITS,
} from './vocabulary.js';

/** Something an expression can read: a column, a grouping key or an aggregate call. */
export interface Leaf {
  sql: string;
  type: ColumnType;
}

export type Scope = readonly Leaf[];

/** A boolean at the top of a WHERE, HAVING or FILTER: never a bare AND (see `build`). */
export type BoolContext = 'value' | 'qual';

export class ExpressionGenerator {
  private readonly cache = new Map<string, fc.Arbitrary<string>>();
  /** Types the scope can produce, directly or by one conversion. */
  readonly types: ColumnType[];

  constructor(
    private readonly scope: Scope,
    private readonly maxDepth: number,
  ) {
    const direct = new Set(scope.map((leaf) => leaf.type));
    this.types = ORDERABLE.filter((t) => direct.has(t) || CONVERSIONS[t].some(([from]) => direct.has(from)));
  }

  can(type: ColumnType): boolean {
    return this.types.includes(type);
  }

  /** An expression of `type` that reads the scope (never a constant alone). */
  of(type: ColumnType, depth = this.maxDepth): fc.Arbitrary<string> {
    return this.build(type, depth, true, 'value');
  }

  /** A condition for WHERE, HAVING or FILTER. */
  condition(depth = this.maxDepth): fc.Arbitrary<string> {
    return this.build('boolean', depth, true, 'qual');
  }

  private leaf(type: ColumnType, needsRead: boolean): fc.Arbitrary<string> {
    const direct = this.scope.filter((l) => l.type === type).map((l) => l.sql);
    const reads: Array<fc.Arbitrary<string>> = [];
    if (direct.length > 0) reads.push(fc.constantFrom(...direct));
    else {
      for (const [from, make] of CONVERSIONS[type]) {
        const sources = this.scope.filter((l) => l.type === from).map((l) => l.sql);
        if (sources.length > 0) reads.push(fc.constantFrom(...sources).map(make));
      }
    }
    if (reads.length === 0) throw new Error(`the scope cannot make a ${type}`);
    const read = fc.oneof(...reads);
    if (needsRead) return read;
    // No NULL constant: Postgres folds a strict call with one to NULL while planning (a trap case
    // covers it); NULLs come from the rows and from CASE without ELSE.
    return fc.oneof(
      { weight: 5, arbitrary: read },
      { weight: 3, arbitrary: constantValue(type).map((v) => typedLiteral(type, v)) },
    );
  }

  private build(type: ColumnType, depth: number, needsRead: boolean, ctx: BoolContext): fc.Arbitrary<string> {
    const key = `${type}/${depth}/${needsRead}/${ctx}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const arb = depth <= 0 ? this.leaf(type, needsRead) : this.compound(type, depth, needsRead, ctx);
    this.cache.set(key, arb);
    return arb;
  }

  private compound(
    type: ColumnType,
    depth: number,
    needsRead: boolean,
    ctx: BoolContext,
  ): fc.Arbitrary<string> {
    const first = (t: ColumnType): fc.Arbitrary<string> => this.build(t, depth - 1, true, 'value');
    const other = (t: ColumnType): fc.Arbitrary<string> => this.build(t, depth - 1, false, 'value');
    const same = first(type);
    const any = other(type);
    const choices: Array<fc.WeightedArbitrary<string>> = [
      { weight: 30, arbitrary: this.leaf(type, needsRead) },
      {
        weight: 5,
        arbitrary: fc
          .tuple(first('boolean'), same, any, fc.boolean())
          .map(([c, a, b, withElse]) =>
            withElse ? `CASE WHEN ${c} THEN ${a} ELSE ${b} END` : `CASE WHEN ${c} THEN ${a} END`,
          ),
      },
      { weight: 5, arbitrary: fc.tuple(same, any).map(([a, b]) => `COALESCE(${a}, ${b})`) },
      { weight: 5, arbitrary: fc.tuple(same, any).map(([a, b]) => `NULLIF(${a}, ${b})`) },
    ];
    const add = (weight: number, arbitrary: fc.Arbitrary<string> | null): void => {
      if (arbitrary) choices.push({ weight, arbitrary });
    };
    /** `make(first(t))` when the scope can make a `t`. */
    const from = (t: ColumnType, make: (a: string) => string): fc.Arbitrary<string> | null =>
      this.can(t) ? first(t).map(make) : null;
    const ops = (list: string[]): fc.Arbitrary<string> =>
      fc.tuple(same, fc.constantFrom(...list), any).map(([a, op, b]) => `(${a} ${op} ${b})`);
    switch (type) {
      case 'integer':
      case 'bigint':
        add(20, ops(['+', '-', '*', '/', '%']));
        add(
          5,
          same.map((a) => `(- ${a})`),
        );
        add(
          5,
          same.map((a) => `abs(${a})`),
        );
        if (type === 'integer')
          add(
            5,
            from('text', (a) => `length(${a})`),
          );
        add(
          5,
          from(type === 'integer' ? 'bigint' : 'integer', (a) => `(${a})::${type}`),
        );
        add(
          5,
          from('numeric', (a) => `(${a})::${type}`),
        );
        add(
          1,
          from('text', (a) => `(${a})::${type}`),
        );
        break;
      case 'numeric':
        add(20, ops(['+', '-', '*', '/', '%']));
        add(
          5,
          same.map((a) => `abs(${a})`),
        );
        add(
          5,
          fc.tuple(same, fc.integer({ min: -2, max: 4 })).map(([a, k]) => `round(${a}, ${k})`),
        );
        add(
          5,
          same.map((a) => `round(${a})`),
        );
        if (this.can('timestamptz'))
          add(
            5,
            fc
              .tuple(fc.constantFrom(...EXTRACT_FIELDS), first('timestamptz'))
              .map(([f, a]) => `extract(${f} FROM ${a})`),
          );
        add(
          5,
          from('bigint', (a) => `(${a})::numeric`),
        );
        break;
      case 'text':
        add(
          10,
          same.map((a) => `lower(${a})`),
        );
        add(
          10,
          same.map((a) => `upper(${a})`),
        );
        add(
          10,
          fc.tuple(same, any).map(([a, b]) => `(${a} || ${b})`),
        );
        for (const t of ['integer', 'bigint', 'numeric', 'boolean', 'timestamptz'] as const)
          add(
            2,
            from(t, (a) => `(${a})::text`),
          );
        break;
      case 'timestamptz':
        add(
          10,
          fc.tuple(fc.constantFrom(...TRUNC_UNITS), same).map(([u, a]) => `date_trunc('${u}', ${a})`),
        );
        add(
          5,
          fc
            .tuple(fc.constantFrom(...BIN_STRIDES), same, fc.constantFrom(...BIN_ORIGINS))
            .map(([stride, a, origin]) => `date_bin('${stride}'::interval, ${a}, '${origin}'::timestamptz)`),
        );
        add(
          5,
          from('integer', (a) => `to_timestamp(${a})`),
        );
        add(
          2,
          from('bigint', (a) => `to_timestamp(${a})`),
        );
        break;
      case 'boolean':
        this.conditions(depth, ctx, choices);
        break;
    }
    return fc.oneof(...choices);
  }

  private conditions(depth: number, ctx: BoolContext, choices: Array<fc.WeightedArbitrary<string>>): void {
    const first = (t: ColumnType): fc.Arbitrary<string> => this.build(t, depth - 1, true, 'value');
    const other = (t: ColumnType): fc.Arbitrary<string> => this.build(t, depth - 1, false, 'value');
    const literal = (t: ColumnType): fc.Arbitrary<string> => constantValue(t).map((v) => typedLiteral(t, v));
    const typed = <T>(make: (t: ColumnType) => fc.Arbitrary<T>): fc.Arbitrary<T> =>
      fc.constantFrom(...this.types).chain(make);
    const push = (weight: number, arbitrary: fc.Arbitrary<string>): void => {
      choices.push({ weight, arbitrary });
    };
    push(
      20,
      typed((t) =>
        fc
          .tuple(first(t), fc.constantFrom('=', '<>', '<', '<=', '>', '>='), other(t))
          .map(([a, op, b]) => `(${a} ${op} ${b})`),
      ),
    );
    // Both operands of AND and OR read the row: Postgres folds `x OR TRUE` to TRUE while planning,
    // without evaluating x (a trap case covers it).
    // Postgres splits the top-level AND of a WHERE or HAVING into quals it reorders by cost, so
    // which operand runs first (and whether an error is raised) is not defined there: no AND at
    // the top, nor what Postgres rewrites into one (BETWEEN, NOT over an OR).
    const top = ctx === 'qual';
    if (!top)
      push(
        10,
        fc.tuple(first('boolean'), first('boolean')).map(([a, b]) => `(${a} AND ${b})`),
      );
    push(
      10,
      fc.tuple(first('boolean'), first('boolean')).map(([a, b]) => `(${a} OR ${b})`),
    );
    if (!top)
      push(
        5,
        first('boolean').map((a) => `(NOT ${a})`),
      );
    push(
      5,
      typed((t) => fc.tuple(first(t), fc.boolean()).map(([a, not]) => `(${a} IS ${not ? 'NOT ' : ''}NULL)`)),
    );
    push(
      10,
      typed((t) =>
        fc
          .tuple(first(t), fc.boolean(), fc.array(literal(t), { minLength: 1, maxLength: 3 }), fc.boolean())
          .map(
            ([a, not, list, withNull]) =>
              `(${a} ${not ? 'NOT IN' : 'IN'} (${[...list, ...(withNull ? ['NULL'] : [])].join(', ')}))`,
          ),
      ),
    );
    if (!top)
      push(
        5,
        typed((t) =>
          fc
            .tuple(first(t), fc.boolean(), other(t), other(t))
            .map(([a, not, lo, hi]) => `(${a} ${not ? 'NOT BETWEEN' : 'BETWEEN'} ${lo} AND ${hi})`),
        ),
      );
    if (this.can('text')) {
      const pattern = fc
        .array(fc.constantFrom(...LIKE_PARTS), { minLength: 0, maxLength: 4 })
        .map((p) => `'${p.join('')}'`);
      push(
        10,
        fc
          .tuple(first('text'), fc.constantFrom('LIKE', 'ILIKE', 'NOT LIKE', 'NOT ILIKE'), pattern)
          .map(([a, op, p]) => `(${a} ${op} ${p})`),
      );
    }
  }
}
