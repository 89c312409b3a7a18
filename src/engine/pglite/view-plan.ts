/**
 * How each view is kept up to date inside PGlite:
 * - `immv`: pg_ivm maintains it; statement-level triggers capture its row changes per transaction.
 * - `topk`: `... ORDER BY ... LIMIT k`; its body is an IMMV (the view it reads, or a hidden one made
 *   from the body), read per transaction through an index in the top-k's order and diffed against
 *   its previous result, so its cost is k rows however many groups the body has.
 * - `reevaluate`: anything else; evaluated per transaction and diffed, at a cost that grows with
 *   its inputs, which is why start-up warns about it.
 */
import type { ScanToken, SelectStmt } from 'libpg-query';
import { parseSql, scanSql, SourceText } from '../../sql/parse-sql.js';
import type { Column } from '../types.js';
import { quoteIdentifier } from '../../core/sql-quote.js';

export type ViewKind = 'immv' | 'topk' | 'reevaluate';

export interface ViewPlan {
  name: string;
  /** Position in the views file, from 0; names the view's capture table. */
  ord: number;
  kind: ViewKind;
  columns: Column[];
  /** The query evaluated per transaction (and for snapshots of `topk` and `reevaluate`). */
  evaluate: string;
}

export interface TopK {
  /** The query without ORDER BY / LIMIT. */
  body: string;
  orderBy: string;
  limit: number;
  /** Set when the body is `SELECT * FROM <relation>`: an index on it can then serve the top-k. */
  source: string | null;
}

/**
 * `... ORDER BY ... LIMIT k` (no OFFSET), read from the parse tree; the body and the ORDER BY are
 * cut from the text at the top-level `ORDER` and `LIMIT` tokens (parentheses excluded, so a
 * window's `OVER (ORDER BY ...)` or a subquery's own ORDER BY is never taken for the view's).
 */
export function parseTopK(query: string): TopK | null {
  const node = parseSql(query).stmts?.[0]?.stmt;
  const select = node && 'SelectStmt' in node ? node.SelectStmt : null;
  const limit =
    select?.limitCount && 'A_Const' in select.limitCount ? select.limitCount.A_Const.ival?.ival : undefined;
  if (!select?.sortClause?.length || limit === undefined || select.limitOffset) return null;
  if (select.limitOption !== 'LIMIT_OPTION_COUNT') return null;
  let depth = 0;
  let order: ScanToken | undefined;
  let by: ScanToken | undefined;
  let limitToken: ScanToken | undefined;
  const tokens = scanSql(query) ?? [];
  for (const [i, token] of tokens.entries()) {
    if (token.text === '(') depth++;
    else if (token.text === ')') depth--;
    else if (depth === 0 && token.text.toUpperCase() === 'ORDER') [order, by] = [token, tokens[i + 1]];
    else if (depth === 0 && token.text.toUpperCase() === 'LIMIT') limitToken = token;
  }
  if (!order || !by || !limitToken || limitToken.start < by.end) return null;
  const text = new SourceText(query);
  return {
    body: text.slice(0, order.start).trim(),
    orderBy: text.slice(by.end, limitToken.start).trim(),
    limit,
    source: singleSource(select),
  };
}

/** `SELECT * FROM relation` and nothing else: the relation, quoted. */
function singleSource(select: SelectStmt): string | null {
  const targets = select.targetList ?? [];
  const from = select.fromClause ?? [];
  if (targets.length !== 1 || from.length !== 1) return null;
  if (select.whereClause || select.groupClause || select.havingClause || select.distinctClause) return null;
  const target = targets[0];
  const ref = target && 'ResTarget' in target ? target.ResTarget.val : undefined;
  const fields = ref && 'ColumnRef' in ref ? ref.ColumnRef.fields : undefined;
  if (fields?.length !== 1 || !fields[0] || !('A_Star' in fields[0])) return null;
  const range = from[0] && 'RangeVar' in from[0] ? from[0].RangeVar : null;
  if (!range?.relname || range.alias) return null;
  return range.schemaname
    ? `${quoteIdentifier(range.schemaname)}.${quoteIdentifier(range.relname)}`
    : quoteIdentifier(range.relname);
}

/**
 * The per-transaction query of a top-k over `source`. Ties are broken by every output column in
 * ascending order (NULLs last), so the same input always gives the same k rows, on every restart.
 */
export function topKQuery(source: string, topk: TopK, columns: Column[]): string {
  const tieBreak = columns.map((c) => quoteIdentifier(c.name)).join(', ');
  const list = columns.map((c) => quoteIdentifier(c.name)).join(', ');
  return `SELECT ${list} FROM ${source} ORDER BY ${topk.orderBy}${tieBreak ? `, ${tieBreak}` : ''} LIMIT ${topk.limit}`;
}

/** The index that serves `topKQuery`: the ORDER BY, then the tie-breaking columns. */
export function topKIndex(source: string, topk: TopK, columns: Column[]): string {
  const keys = [topk.orderBy, ...columns.map((c) => quoteIdentifier(c.name))].join(', ');
  return `CREATE INDEX ON ${source} (${keys})`;
}

export function isHiddenColumn(name: string): boolean {
  return name.startsWith('__ivm_');
}

/** Selects a relation's visible columns in order (pg_ivm adds hidden `__ivm_*` columns to IMMVs). */
export function selectColumns(relation: string, columns: Column[]): string {
  const list = columns.map((c) => quoteIdentifier(c.name)).join(', ');
  return `SELECT ${list || 'NULL'} FROM ${relation}`;
}
