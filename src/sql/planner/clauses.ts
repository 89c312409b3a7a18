/**
 * GROUP BY and ORDER BY items resolved as Postgres resolves them: a number is a select-list
 * position; a bare name in GROUP BY is an input column first and an output name second, in ORDER
 * BY an output name first; anything else is an expression, which in ORDER BY may match a select
 * list entry or else is computed as a hidden column.
 */
import { SqlCompileError, Unsupported } from '../scalar/index.js';
import { exprKey, integerConstant, isNullConstant, kindOf, nameList } from './ast.js';
import { containsAggregate } from './aggregate-calls.js';

export interface Target {
  node: unknown;
  name: string;
}

function bareName(node: unknown): string | null {
  const [kind, body] = kindOf(node);
  if (kind !== 'ColumnRef') return null;
  const fields = nameList(body['fields']);
  return fields.length === 1 && fields[0] !== '*' ? (fields[0] as string) : null;
}

/** The one select-list entry called `name`; entries of that name must all be the same expression. */
function targetNamed(targets: Target[], name: string, clause: string): number | null {
  const matches = targets.map((t, i) => (t.name === name ? i : -1)).filter((i) => i >= 0);
  if (matches.length === 0) return null;
  const keys = new Set(matches.map((i) => exprKey(targets[i]?.node)));
  if (keys.size > 1) throw new SqlCompileError('42702', `${clause} "${name}" is ambiguous`);
  return matches[0] as number;
}

function position(node: unknown, targets: Target[], clause: string): number | null {
  const n = integerConstant(node);
  if (n === null) return null;
  if (n < 1 || n > targets.length) {
    throw new SqlCompileError('42P10', `${clause} position ${n} is not in select list`);
  }
  return n - 1;
}

/** GROUP BY items as expressions over the input, without duplicates. */
export function groupKeys(items: unknown[], targets: Target[], inputColumns: Set<string>): unknown[] {
  const keys = new Map<string, unknown>();
  for (const item of items) {
    const at = position(item, targets, 'GROUP BY');
    let node: unknown = at === null ? item : targets[at]?.node;
    const name = bareName(item);
    if (at === null && name !== null && !inputColumns.has(name)) {
      const named = targetNamed(targets, name, 'GROUP BY');
      if (named !== null) node = targets[named]?.node;
    }
    if (containsAggregate(node))
      throw new SqlCompileError('42803', 'aggregate functions are not allowed in GROUP BY');
    keys.set(exprKey(node), node);
  }
  return [...keys.values()];
}

export interface SortItem {
  /** The output column it sorts by, or null for a hidden column computed from `node`. */
  column: number | null;
  node: unknown;
  descending: boolean;
  nullsFirst: boolean;
}

export function sortItems(items: unknown[], targets: Target[], distinct: boolean): SortItem[] {
  return items.map((item) => {
    const [, sortBy] = kindOf(item);
    const node = sortBy['node'];
    const descending = sortBy['sortby_dir'] === 'SORTBY_DESC';
    const nulls = sortBy['sortby_nulls'];
    // Postgres's default: NULLs sort as larger than every value (last ascending, first descending).
    const nullsFirst =
      nulls === 'SORTBY_NULLS_FIRST' ? true : nulls === 'SORTBY_NULLS_LAST' ? false : descending;
    let column = position(node, targets, 'ORDER BY');
    const name = bareName(node);
    if (column === null && name !== null) column = targetNamed(targets, name, 'ORDER BY');
    if (column === null) {
      const key = exprKey(node);
      const match = targets.findIndex((t) => exprKey(t.node) === key);
      if (match >= 0) column = match;
    }
    if (column === null && distinct) {
      throw new SqlCompileError(
        '42P10',
        'for SELECT DISTINCT, ORDER BY expressions must appear in select list',
      );
    }
    return { column, node, descending, nullsFirst };
  });
}

export interface Limits {
  /** null: no LIMIT (or LIMIT ALL). */
  limit: number | null;
  offset: number;
}

function constantCount(node: unknown, clause: string): number | null {
  if (node === undefined || isNullConstant(node)) return null;
  const n = integerConstant(node);
  if (n === null) throw new Unsupported(`a ${clause} that is not an integer constant runs on PGlite`);
  if (n < 0) {
    throw new SqlCompileError(clause === 'LIMIT' ? '2201W' : '2201X', `${clause} must not be negative`);
  }
  return n;
}

export function limits(limitCount: unknown, limitOffset: unknown): Limits {
  const limit = constantCount(limitCount, 'LIMIT');
  const offset = constantCount(limitOffset, 'OFFSET') ?? 0;
  if (limit === null && offset > 0) throw new Unsupported('OFFSET without LIMIT runs on PGlite');
  return { limit, offset };
}
