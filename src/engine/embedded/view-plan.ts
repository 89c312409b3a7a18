/**
 * How each view is kept up to date inside PGlite:
 * - `immv`: pg_ivm maintains it; statement-level triggers capture its row changes per transaction.
 * - `topk`: `... ORDER BY ... LIMIT k`; its body is an IMMV (the view it reads, or a hidden one made
 *   from the body), read per transaction through an index in the top-k's order and diffed against
 *   its previous result, so its cost is k rows however many groups the body has.
 * - `reevaluate`: anything else; evaluated per transaction and diffed, at a cost that grows with
 *   its inputs, which is why start-up warns about it.
 */
import type { Column } from '../types.js';

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

const TOP_K = /^([\s\S]*?)\s+ORDER\s+BY\s+([\s\S]+?)\s+LIMIT\s+(\d+)\s*$/i;
const SINGLE_SOURCE = /^SELECT\s+\*\s+FROM\s+("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$.]*)\s*$/i;

export interface TopK {
  /** The query without ORDER BY / LIMIT. */
  body: string;
  orderBy: string;
  limit: number;
  /** Set when the body is `SELECT * FROM <relation>`: an index on it can then serve the top-k. */
  source: string | null;
}

export function parseTopK(query: string): TopK | null {
  const match = TOP_K.exec(query.trim());
  if (!match?.[1] || !match[2] || !match[3]) return null;
  const body = match[1].trim();
  return {
    body,
    orderBy: match[2].trim(),
    limit: Number(match[3]),
    source: SINGLE_SOURCE.exec(body)?.[1] ?? null,
  };
}

/**
 * The per-transaction query of a top-k over `source`. Ties are broken by every output column in
 * ascending order (NULLs last), so the same input always gives the same k rows, on every restart.
 */
export function topKQuery(source: string, topk: TopK, columns: Column[]): string {
  const tieBreak = columns.map((c) => quoteIdent(c.name)).join(', ');
  const list = columns.map((c) => quoteIdent(c.name)).join(', ');
  return `SELECT ${list} FROM ${source} ORDER BY ${topk.orderBy}${tieBreak ? `, ${tieBreak}` : ''} LIMIT ${topk.limit}`;
}

/** The index that serves `topKQuery`: the ORDER BY, then the tie-breaking columns. */
export function topKIndex(source: string, topk: TopK, columns: Column[]): string {
  const keys = [topk.orderBy, ...columns.map((c) => quoteIdent(c.name))].join(', ');
  return `CREATE INDEX ON ${source} (${keys})`;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function isHiddenColumn(name: string): boolean {
  return name.startsWith('__ivm_');
}

/** Selects a relation's visible columns in order (pg_ivm adds hidden `__ivm_*` columns to IMMVs). */
export function selectColumns(relation: string, columns: Column[]): string {
  const list = columns.map((c) => quoteIdent(c.name)).join(', ');
  return `SELECT ${list || 'NULL'} FROM ${relation}`;
}
