/**
 * The unique key of a delta-path view: output columns whose values no two rows of the view share,
 * so that a client can hold the view as a set on them and an update can send the new row alone
 * (the keyed wire form, docs/PROTOCOL.md). Derived from the query's shape, never guessed:
 *
 * - GROUP BY: the grouping expressions, when each is a column of the select list;
 * - a global aggregate (no GROUP BY): the empty key, at most one row;
 * - DISTINCT: the input's key when it has one, else every column;
 * - WHERE, HAVING, temporal filters and ORDER BY ... LIMIT keep rows or drop them: they keep the
 *   key of their input;
 * - a projection over an earlier delta-path view keeps that view's key when every key column is
 *   selected as is; a table has no key (its rows are a multiset).
 *
 * Anything else has no key (null), and its clients get the positional form.
 */
import { exprKey } from './ast.js';
import type { Target } from './clauses.js';

export interface KeyInputs {
  /** The select list, in output order. */
  targets: Target[];
  /** The output column names (after a view's column list renamed them). */
  columns: string[];
  /** GROUP BY expressions, or null for a query without grouping or aggregates. */
  groupBy: unknown[] | null;
  /** The key of the relation in FROM, by its column names, or null. */
  sourceKey: readonly string[] | null;
  distinct: boolean;
}

/** The view's key as output column names, or null when none is known. */
export function uniqueKey(inputs: KeyInputs): string[] | null {
  const positions = keyPositions(inputs);
  if (positions === null) return null;
  return [...new Set(positions)].sort((a, b) => a - b).map((i) => inputs.columns[i] as string);
}

function keyPositions({ targets, columns, groupBy, sourceKey, distinct }: KeyInputs): number[] | null {
  const outputOf = (node: unknown): number | null => {
    const key = exprKey(node);
    const at = targets.findIndex((target) => exprKey(target.node) === key);
    return at < 0 ? null : at;
  };
  const all = (nodes: unknown[]): number[] | null => {
    const found = nodes.map(outputOf);
    return found.every((at) => at !== null) ? (found as number[]) : null;
  };
  let positions: number[] | null = null;
  if (groupBy !== null) positions = all(groupBy);
  else if (sourceKey !== null) positions = all(sourceKey.map(columnRef));
  if (positions === null && distinct) positions = columns.map((_, i) => i);
  return positions;
}

/** A bare reference to a column of the relation in FROM, as the parser writes it. */
function columnRef(name: string): unknown {
  return { ColumnRef: { fields: [{ String: { sval: name } }] } };
}
