/**
 * How each view is kept up to date inside PGlite:
 * - `immv`: pg_ivm maintains it; statement-level triggers capture its row changes per transaction.
 * - `topk`: `... ORDER BY ... LIMIT k`; evaluated per transaction (through an index where the input
 *   is a single IMMV) and diffed against its previous result.
 * - `reevaluate`: anything else; evaluated per transaction and diffed, at a cost that grows with
 *   its inputs, which is why start-up warns about it.
 */
import type { Column } from '../types.js';

export type ViewKind = 'immv' | 'topk' | 'reevaluate';

export interface ViewPlan {
  name: string;
  kind: ViewKind;
  columns: Column[];
  /** The query evaluated per transaction for `topk` and `reevaluate`. */
  evaluate: string;
}

const TOP_K = /^([\s\S]*?)\s+ORDER\s+BY\s+([\s\S]+?)\s+LIMIT\s+(\d+)\s*$/i;
const SINGLE_SOURCE = /^SELECT\s+\*\s+FROM\s+("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\s*$/i;

export interface TopK {
  /** The query without ORDER BY / LIMIT. */
  body: string;
  orderBy: string;
  limit: number;
  /** Set when the body is `SELECT * FROM <relation>`: the index can then serve the top-k. */
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
 * The per-transaction query of a top-k. Ties are broken by every output column in ascending order
 * (NULLs last), so the same input always gives the same ten rows, on every engine and every restart.
 */
export function topKQuery(topk: TopK, columnCount: number): string {
  const ordinals = Array.from({ length: columnCount }, (_, i) => String(i + 1)).join(', ');
  return `${topk.body} ORDER BY ${topk.orderBy}, ${ordinals} LIMIT ${topk.limit}`;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function isHiddenColumn(name: string): boolean {
  return name.startsWith('__ivm_');
}
