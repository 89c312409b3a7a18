/**
 * The stages of a grouped query (GROUP BY or aggregates): a map to [...group keys, ...aggregate
 * inputs], then a reduce computing the aggregates, HAVING and the select list over the groups.
 */
import type { ViewStatement } from '../views-file.js';
import {
  compileExpr,
  SqlCompileError,
  type CompiledExpr,
  type Scope,
  type SqlType,
} from '../scalar/index.js';
import { exprKey, nameList, walk } from './ast.js';
import {
  collectAggregates,
  layoutAggregates,
  type AggregateCall,
  type AggregateLayout,
} from './aggregate-calls.js';
import { groupKeys, type SortItem, type Target } from './clauses.js';
import type { Stage } from './delta-plan.js';
import { isIdentity, type Source } from './source-scope.js';

export interface Body {
  stages: Stage[];
  /** Types of the last stage's columns: the outputs, then hidden ORDER BY columns. */
  types: SqlType[];
  /** The GROUP BY expressions of a grouped query. */
  groupBy?: unknown[];
}

export function booleanExpr(expr: CompiledExpr, clause: string): CompiledExpr {
  if (expr.type !== 'boolean') {
    throw new SqlCompileError('42804', `argument of ${clause} must be type boolean, not type ${expr.type}`);
  }
  return expr;
}

export function groupedStages(
  select: ViewStatement['ast'],
  source: Source,
  targets: Target[],
  sorts: SortItem[],
  where: CompiledExpr | null,
): Body {
  const inputColumns = new Set(source.scope.columns.map((c) => c.name));
  const keyNodes = groupKeys(select.groupClause ?? [], targets, inputColumns);
  const keys = keyNodes.map((node) => compileExpr(node, source.scope));
  const hidden = sorts.filter((s) => s.column === null).map((s) => s.node);
  const calls = collectAggregates([targets.map((t) => t.node), select.havingClause, hidden]);
  const compileOver = (computed: AggregateCall[], unused: AggregateCall[]): GroupedExprs =>
    compileOverGroups(select, source, inputColumns, { keyNodes, keys, computed, unused }, [
      ...targets.map((t) => t.node),
      ...hidden,
    ]);
  let grouped = compileOver(calls, []);
  // An aggregate whose every use folding removed (`count(x) IS NULL OR TRUE`) is not computed, as
  // Postgres's planner removes it: an error its argument would raise never happens.
  const unused = calls.filter((_, i) => grouped.removed(keys.length + i));
  if (unused.length > 0)
    grouped = compileOver(
      calls.filter((call) => !unused.includes(call)),
      unused,
    );
  const { layout, having, output } = grouped;
  const stages: Stage[] = [
    // Rows that already are [...keys] (`GROUP BY "user"` over a row of "user"), or that the reduce
    // does not read (count(*) alone), pass unchanged: no array per event.
    {
      op: 'map',
      where,
      project:
        (layout.inputs.length === 0 && isIdentity(keyNodes, source)) ||
        keys.length + layout.inputs.length === 0
          ? null
          : [...keys, ...layout.inputs],
    },
    {
      op: 'reduce',
      role: 'reduce',
      keyTypes: keys.map((k) => k.type),
      aggregates: layout.specs,
      having,
      output,
      global: keyNodes.length === 0,
    },
  ];
  return { stages, types: output.map((e) => e.type), groupBy: keyNodes };
}

interface GroupedExprs {
  layout: AggregateLayout;
  having: CompiledExpr | null;
  output: CompiledExpr[];
  /** True when folding removed every use of the reduce's column `slot`. */
  removed(slot: number): boolean;
}

/**
 * HAVING and the select list (then hidden ORDER BY columns) over the reduce's rows [...keys,
 * ...aggregate values]: substitution maps the key expressions and the aggregate calls to those
 * columns; any other column reference is not grouped.
 */
function compileOverGroups(
  select: ViewStatement['ast'],
  source: Source,
  inputColumns: Set<string>,
  groups: { keyNodes: unknown[]; keys: CompiledExpr[]; computed: AggregateCall[]; unused: AggregateCall[] },
  outputs: unknown[],
): GroupedExprs {
  const { keyNodes, keys, computed, unused } = groups;
  const layout = layoutAggregates(computed, source.scope, keys.length);
  // Calls whose uses folding removes still compile where they stand: as columns past the reduce's
  // rows, never read.
  const unusedTypes = layoutAggregates(unused, source.scope, 0).specs.map((s) => s.def.resultType);
  const slots = new Map<string, number>();
  keyNodes.forEach((node, i) => slots.set(exprKey(node), i));
  [...computed, ...unused].forEach((call, i) => slots.set(call.key, keys.length + i));
  const scope: Scope = {
    columns: [
      ...keys.map((k, i) => ({ name: ` key ${i}`, type: k.type })),
      ...[...layout.specs.map((s) => s.def.resultType), ...unusedTypes].map((type, i) => ({
        name: ` aggregate ${i}`,
        type,
      })),
    ],
  };
  const uses = new Map<number, number>();
  const count = (slot: number, by: number): void => void uses.set(slot, (uses.get(slot) ?? 0) + by);
  const compileGrouped = (node: unknown): CompiledExpr => {
    checkGrouped(node, slots, source.alias, inputColumns);
    const substitute = (n: unknown): number | undefined => {
      const slot = slots.get(exprKey(n));
      if (slot !== undefined) count(slot, 1);
      return slot;
    };
    const expr = compileExpr(node, scope, { substitute });
    for (const slot of expr.dropped ?? []) count(slot, -1);
    return expr;
  };
  const having = select.havingClause ? booleanExpr(compileGrouped(select.havingClause), 'HAVING') : null;
  const output = outputs.map(compileGrouped);
  return { layout, having, output, removed: (slot) => uses.get(slot) === 0 };
}

/** Postgres's error for a column that is neither grouped nor inside an aggregate. */
function checkGrouped(
  node: unknown,
  slots: Map<string, number>,
  alias: string,
  inputColumns: Set<string>,
): void {
  walk([node], (kind, body, wrapper) => {
    if (slots.has(exprKey(wrapper))) return false;
    if (kind === 'ColumnRef') {
      const name = nameList(body['fields']).join('.');
      // A name that is no input column is Postgres's "does not exist", which compiling raises.
      if (!inputColumns.has(name)) return false;
      throw new SqlCompileError(
        '42803',
        `column "${alias}.${name}" must appear in the GROUP BY clause or be used in an aggregate function`,
      );
    }
    return true;
  });
}
