/**
 * Random views from the delta path's grammar, as SQL text: filters and projections, GROUP BY with
 * every supported aggregate (FILTER, HAVING, expressions over aggregates), a global aggregate,
 * DISTINCT, top-k, and a top-k over a grouped view. Each view comes with the SQL the oracle runs:
 * the same query, except that a top-k's ORDER BY is completed with the delta path's documented
 * tie-break (every output column ascending, NULLs last), so that Postgres's answer is unique.
 */
import fc from 'fast-check';
import { ExpressionGenerator, type Leaf } from './expressions.js';
import { COLUMN_TYPES, SQL_TYPE_NAME, type ColumnType } from './values.js';

export const INPUT_TABLE = 'events';

export interface InputColumn {
  name: string;
  type: ColumnType;
}

export interface GeneratedView {
  name: string;
  /** The view's query as written in the views file. */
  sql: string;
  /** The query PGlite evaluates (a top-k with its complete ORDER BY). */
  oracleSql: string;
  /**
   * Where an error the delta path reports, and Postgres does not, is confirmed. Postgres stops
   * reading a LIMIT's input once it has its rows (and never starts for LIMIT 0), and computes only
   * the columns of a view that a query over it reads; the delta path, like Materialize, keeps the
   * errors of every input row and every column. So a top-k is confirmed by its query without
   * LIMIT, and a view over a view by the view it reads.
   */
  errorProbeSql?: string;
  columns: Leaf[];
}

export interface Scenario {
  columns: InputColumn[];
  views: GeneratedView[];
}

const PREFIX: Record<ColumnType, string> = {
  integer: 'i',
  bigint: 'b',
  numeric: 'n',
  text: 's',
  boolean: 'f',
  timestamptz: 'ts',
};

/** One column of every type, and up to three more: a few columns, whatever the draw. */
export const inputColumns: fc.Arbitrary<InputColumn[]> = fc
  .array(fc.constantFrom<ColumnType>('integer', 'text', 'bigint', 'numeric'), { maxLength: 3 })
  .map((extra) => {
    const counts = new Map<ColumnType, number>();
    return [...COLUMN_TYPES, ...extra].map((type) => {
      const n = (counts.get(type) ?? 0) + 1;
      counts.set(type, n);
      return { name: `${PREFIX[type]}${n}`, type };
    });
  });

/** The columns as leaves of an expression. */
export function columnLeaves(columns: InputColumn[]): Leaf[] {
  return columns.map((c) => ({ sql: c.name, type: c.type }));
}

export function createTableSql(columns: InputColumn[]): string {
  return `CREATE TABLE ${INPUT_TABLE} (${columns.map((c) => `${c.name} ${SQL_TYPE_NAME[c.type]}`).join(', ')});`;
}

export function viewsFileSql(scenario: Scenario): string {
  return [
    createTableSql(scenario.columns),
    ...scenario.views.map((v) => `CREATE MATERIALIZED VIEW ${v.name} AS ${v.sql};`),
  ].join('\n');
}

interface Body {
  sql: string;
  columns: Leaf[];
}

const optional = (arb: fc.Arbitrary<string>): fc.Arbitrary<string | null> =>
  fc.option(arb, { nil: null, freq: 2 });

function projection(leaves: Leaf[], distinct: boolean, from = INPUT_TABLE): fc.Arbitrary<Body> {
  const gen = new ExpressionGenerator(leaves, 2);
  const item = fc.constantFrom(...gen.types).chain((type) => gen.of(type).map((sql) => ({ sql, type })));
  return fc
    .tuple(fc.array(item, { minLength: 1, maxLength: 3 }), optional(gen.condition()))
    .map(([items, where]) => ({
      sql:
        `SELECT ${distinct ? 'DISTINCT ' : ''}${items.map((it, i) => `${it.sql} AS c${i + 1}`).join(', ')} FROM ${from}` +
        (where ? ` WHERE ${where}` : ''),
      columns: items.map((it, i) => ({ sql: `c${i + 1}`, type: it.type })),
    }));
}

type Aggregate = Leaf;

function aggregateCall(gen: ExpressionGenerator): fc.Arbitrary<Aggregate> {
  const numeric = gen.types.filter((t) => t === 'integer' || t === 'bigint' || t === 'numeric');
  const ordered = gen.types.filter((t) => t !== 'boolean');
  const sumType = (t: ColumnType): ColumnType => (t === 'integer' ? 'bigint' : 'numeric');
  const arg = (types: ColumnType[]): fc.Arbitrary<{ sql: string; type: ColumnType }> =>
    fc.constantFrom(...types).chain((type) => gen.of(type, 1).map((sql) => ({ sql, type })));
  const calls: Array<fc.Arbitrary<Aggregate>> = [
    fc.constant({ sql: 'count(*)', type: 'bigint' as ColumnType }),
    arg(gen.types).map((a) => ({ sql: `count(${a.sql})`, type: 'bigint' as ColumnType })),
    arg(gen.types).map((a) => ({ sql: `count(DISTINCT ${a.sql})`, type: 'bigint' as ColumnType })),
  ];
  if (numeric.length > 0) {
    calls.push(arg(numeric).map((a) => ({ sql: `sum(${a.sql})`, type: sumType(a.type) })));
    calls.push(arg(numeric).map((a) => ({ sql: `avg(${a.sql})`, type: 'numeric' as ColumnType })));
  }
  if (ordered.length > 0) {
    calls.push(
      fc
        .tuple(fc.constantFrom('min', 'max'), arg(ordered))
        .map(([fn, a]) => ({ sql: `${fn}(${a.sql})`, type: a.type })),
    );
  }
  const call = fc.oneof(...calls);
  return fc
    .tuple(call, optional(gen.condition(1)))
    .map(([c, filter]) => (filter ? { sql: `${c.sql} FILTER (WHERE ${filter})`, type: c.type } : c));
}

function grouped(leaves: Leaf[], global: boolean, from = INPUT_TABLE): fc.Arbitrary<Body> {
  const rows = new ExpressionGenerator(leaves, 1);
  const key = fc.constantFrom(...rows.types).chain((type) => rows.of(type, 1).map((sql) => ({ sql, type })));
  const keys = global ? fc.constant([]) : fc.array(key, { minLength: 1, maxLength: 2 });
  return fc
    .tuple(
      keys,
      fc.array(aggregateCall(rows), { minLength: 1, maxLength: 3 }),
      fc.boolean(),
      optional(rows.condition()),
    )
    .chain(([keyList, calls, showKeys, where]) => {
      const overAggregates = new ExpressionGenerator(calls, 1);
      const item = fc.oneof(
        { weight: 2, arbitrary: fc.constantFrom(...calls) },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom(...overAggregates.types)
            .chain((type) => overAggregates.of(type).map((sql) => ({ sql, type }))),
        },
      );
      return fc
        .tuple(fc.array(item, { minLength: 1, maxLength: 3 }), optional(overAggregates.condition()))
        .map(([items, having]) => {
          const shown = showKeys || keyList.length === 0 ? keyList : [];
          const select = [
            ...shown.map((k, i) => `${k.sql} AS g${i + 1}`),
            ...items.map((it, i) => `${it.sql} AS a${i + 1}`),
          ];
          const sql =
            `SELECT ${select.join(', ')} FROM ${from}` +
            (where ? ` WHERE ${where}` : '') +
            (keyList.length > 0 ? ` GROUP BY ${keyList.map((k) => k.sql).join(', ')}` : '') +
            (having ? ` HAVING ${having}` : '');
          return {
            sql,
            columns: [
              ...shown.map((k, i) => ({ sql: `g${i + 1}`, type: k.type })),
              ...items.map((it, i) => ({ sql: `a${i + 1}`, type: it.type })),
            ],
          };
        });
    });
}

/**
 * `ORDER BY ... LIMIT k OFFSET n` over a body; the oracle's copy appends the tie-break. Sort keys
 * are output columns by name or position, or (`hidden`) input columns the output does not show.
 */
function topK(
  body: Body,
  from?: string,
  hidden: string[] = [],
): fc.Arbitrary<{ sql: string; oracleSql: string }> {
  const sortKey = fc.tuple(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...body.columns.map((c) => c.sql)) },
      { weight: 1, arbitrary: fc.constantFrom(...body.columns.map((_, i) => String(i + 1))) },
      ...(hidden.length > 0 ? [{ weight: 1, arbitrary: fc.constantFrom(...hidden) }] : []),
    ),
    fc.constantFrom('', ' ASC', ' DESC'),
    fc.constantFrom('', ' NULLS FIRST', ' NULLS LAST'),
  );
  return fc
    .tuple(
      fc.uniqueArray(sortKey, { minLength: 1, maxLength: 2, selector: (k) => k[0] }),
      fc.integer({ min: 0, max: 5 }),
      fc.option(fc.integer({ min: 0, max: 4 }), { nil: null }),
    )
    .map(([keys, limit, offset]) => {
      const base = from ? `SELECT * FROM ${from}` : body.sql;
      const order = keys.map(([c, dir, nulls]) => `${c}${dir}${nulls}`).join(', ');
      const tail = ` LIMIT ${limit}${offset === null ? '' : ` OFFSET ${offset}`}`;
      const tieBreak = body.columns.map((_, i) => `${i + 1} ASC NULLS LAST`).join(', ');
      return {
        sql: `${base} ORDER BY ${order}${tail}`,
        oracleSql: `${base} ORDER BY ${order}, ${tieBreak}${tail}`,
        errorProbeSql: base,
      };
    });
}

type Shape =
  'project' | 'group' | 'global' | 'distinct' | 'topk' | 'group-topk' | 'topk-over-view' | 'over-view';

const SHAPE: fc.Arbitrary<Shape> = fc.constantFrom<Shape>(
  'project',
  'group',
  'group',
  'global',
  'distinct',
  'topk',
  'group-topk',
  'topk-over-view',
  'over-view',
);

function view(
  columns: InputColumn[],
  shape: Shape,
  earlier: GeneratedView[],
  name: string,
): fc.Arbitrary<GeneratedView> {
  const input = columnLeaves(columns);
  const plain = (body: fc.Arbitrary<Body>, errorProbeSql?: string): fc.Arbitrary<GeneratedView> =>
    body.map((b) => ({ name, sql: b.sql, oracleSql: b.sql, columns: b.columns, errorProbeSql }));
  const limited = (
    body: fc.Arbitrary<Body>,
    from?: string,
    hidden: string[] = [],
  ): fc.Arbitrary<GeneratedView> =>
    body.chain((b) => topK(b, from, hidden).map((q) => ({ name, ...q, columns: b.columns })));
  // A grouped view read by another, as wikirecent's top10 reads user_edits.
  const base = earlier.find((v) => v.name.startsWith('grouped_') && v.sql === v.oracleSql);
  switch (shape) {
    case 'project':
      return plain(projection(input, false));
    case 'distinct':
      return plain(projection(input, true));
    case 'group':
      return plain(grouped(input, false));
    case 'global':
      return plain(grouped(input, true));
    case 'topk':
      return fc.oneof(
        limited(
          projection(input, false),
          undefined,
          columns.map((c) => c.name),
        ),
        limited(projection(input, true)),
      );
    case 'group-topk':
      return limited(grouped(input, false));
    case 'topk-over-view':
      if (!base) return plain(grouped(input, false)).map((v) => ({ ...v, name: `grouped_${name}` }));
      return limited(fc.constant({ sql: '', columns: base.columns }), base.name);
    case 'over-view': {
      if (!base) return plain(grouped(input, false)).map((v) => ({ ...v, name: `grouped_${name}` }));
      const probe = `SELECT * FROM ${base.name}`;
      return fc.oneof(
        plain(projection(base.columns, false, base.name), probe),
        plain(projection(base.columns, true, base.name), probe),
        plain(grouped(base.columns, false, base.name), probe),
      );
    }
  }
}

/** A schema and one to three views over it. */
export const scenario: fc.Arbitrary<Scenario> = inputColumns.chain((columns) =>
  fc.array(SHAPE, { minLength: 1, maxLength: 3 }).chain((shapes) => {
    let acc: fc.Arbitrary<GeneratedView[]> = fc.constant([]);
    shapes.forEach((shape, i) => {
      acc = acc.chain((views) =>
        view(columns, shape, views, shape === 'group' ? `grouped_v${i + 1}` : `v${i + 1}`).map((v) => [
          ...views,
          v,
        ]),
      );
    });
    return acc.map((views) => ({ columns, views }));
  }),
);
