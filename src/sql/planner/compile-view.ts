/**
 * Compiles one view whose shape the delta path supports (see shape.ts) into stages: a map (WHERE
 * and the projection), then for a grouped query a reduce (GROUP BY, aggregates, HAVING and the
 * select list over them), then DISTINCT, then top-k for ORDER BY ... LIMIT. ORDER BY without LIMIT
 * does not change a view (a view is a multiset), so it only has to compile.
 */
import type { ViewStatement } from '../views-file.js';
import {
  compileExpr,
  SqlCompileError,
  Unsupported,
  type CompiledExpr,
  type Scope,
  type SqlType,
} from '../scalar/index.js';
import { exprKey, kindOf, nameList, walk, type AstNode } from './ast.js';
import {
  collectAggregates,
  containsAggregate,
  layoutAggregates,
  type AggregateCall,
  type AggregateLayout,
} from './aggregate-calls.js';
import { groupKeys, limits, sortItems, type SortItem, type Target } from './clauses.js';
import { columnName } from './column-names.js';
import type { DeltaViewPlan, PlanColumn, Stage, TopKStage } from './delta-plan.js';
import { unsupportedShape } from './shape.js';
import { splitTemporal, withTemporal } from './temporal-filter.js';
import { uniqueKey } from './unique-key.js';
import { resolveSource, unqualified, type Relation, type Source } from './source-scope.js';

export function compileView(view: ViewStatement, catalog: Map<string, Relation>): DeltaViewPlan {
  const reason = unsupportedShape(view.ast);
  if (reason) throw new Unsupported(reason);
  const source = resolveSource(view.ast, catalog);
  const select = unqualified(view.ast, source.alias);
  const targets = expandTargets(select.targetList ?? [], source);
  const distinct = (select.distinctClause?.length ?? 0) > 0;
  const sorts = sortItems(select.sortClause ?? [], targets, distinct);
  const { limit, offset } = limits(select.limitCount, select.limitOffset);
  let where: CompiledExpr | null = null;
  // Temporal filters: mz_now() comparisons leave WHERE and become a stage of their own.
  const temporal = splitTemporal(select as AstNode, source.scope);
  const whereClause = temporal.where;
  if (whereClause) {
    if (containsAggregate(whereClause)) {
      throw new SqlCompileError('42803', 'aggregate functions are not allowed in WHERE');
    }
    where = booleanExpr(compileExpr(whereClause, source.scope), 'WHERE');
  }
  const grouped =
    (select.groupClause?.length ?? 0) > 0 ||
    select.havingClause !== undefined ||
    containsAggregate([select.targetList, sorts.map((s) => s.node)]);
  const body = grouped
    ? groupedStages(select, source, targets, sorts, where)
    : plainStages(source, targets, sorts, where);
  const stages: Stage[] = withTemporal(body.stages, temporal.bounds);
  const columns = outputColumns(view, targets, body.types);
  const key = uniqueKey({
    targets,
    columns: columns.map((c) => c.name),
    groupBy: grouped ? (body.groupBy ?? []) : null,
    sourceKey: source.relation.key ?? null,
    distinct,
  });
  if (distinct) stages.push(distinctStage(columns.map((c) => c.type)));
  if (limit !== null) stages.push(topK(sorts, body.types, targets.length, limit, offset));
  return {
    name: view.name,
    source: { kind: source.relation.kind, name: source.relation.name },
    reads: source.reads,
    stages,
    columns,
    key,
  };
}

/** `*` becomes every column of the source, in order. */
function expandTargets(list: unknown[], source: Source): Target[] {
  const targets: Target[] = [];
  for (const item of list) {
    const [, target] = kindOf(item);
    const val = target['val'];
    const [kind, ref] = kindOf(val);
    if (kind === 'ColumnRef' && nameList(ref['fields']).at(-1) === '*') {
      for (const c of source.scope.columns) {
        targets.push({ node: { ColumnRef: { fields: [{ String: { sval: c.name } }] } }, name: c.name });
      }
      continue;
    }
    targets.push({ node: val, name: columnName(target['name'] as string | undefined, val) });
  }
  return targets;
}

function booleanExpr(expr: CompiledExpr, clause: string): CompiledExpr {
  if (expr.type !== 'boolean') {
    throw new SqlCompileError('42804', `argument of ${clause} must be type boolean, not type ${expr.type}`);
  }
  return expr;
}

interface Body {
  stages: Stage[];
  /** Types of the last stage's columns: the outputs, then hidden ORDER BY columns. */
  types: SqlType[];
  /** The GROUP BY expressions of a grouped query. */
  groupBy?: unknown[];
}

function plainStages(source: Source, targets: Target[], sorts: SortItem[], where: CompiledExpr | null): Body {
  const project = targets.map((t) => compileExpr(t.node, source.scope));
  for (const sort of sorts) if (sort.column === null) project.push(compileExpr(sort.node, source.scope));
  // `SELECT *` (or every column in order) without hidden ORDER BY columns: rows pass unchanged.
  const identity =
    project.length === targets.length &&
    isIdentity(
      targets.map((t) => t.node),
      source,
    );
  return {
    stages: [{ op: 'map', where, project: identity ? null : project }],
    types: project.map((e) => e.type),
  };
}

function groupedStages(
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

function outputColumns(view: ViewStatement, targets: Target[], types: SqlType[]): PlanColumn[] {
  const names = view.columnNames ?? [];
  if (names.length > targets.length) {
    throw new SqlCompileError('42601', 'CREATE VIEW specifies more column names than columns');
  }
  const columns = targets.map((t, i) => ({ name: names[i] ?? t.name, type: types[i] as SqlType }));
  // A SELECT may repeat an output name, but a view's columns are a relation's: Postgres refuses.
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.name)) throw new SqlCompileError('42701', `column "${c.name}" specified more than once`);
    seen.add(c.name);
  }
  return columns;
}

/** SELECT DISTINCT: a reduce whose key is the whole row and whose output is the key. */
function distinctStage(types: SqlType[]): Stage {
  const output = types.map((type, i): CompiledExpr => ({ type, eval: (row) => row[i] ?? null, column: i }));
  return {
    op: 'reduce',
    role: 'distinct',
    keyTypes: types,
    aggregates: [],
    having: null,
    output,
    global: false,
  };
}

function topK(
  sorts: SortItem[],
  types: SqlType[],
  visible: number,
  limit: number,
  offset: number,
): TopKStage {
  let hidden = visible;
  const keys = sorts.map((s) => {
    const column = s.column ?? hidden++;
    return { column, type: types[column] as SqlType, descending: s.descending, nullsFirst: s.nullsFirst };
  });
  return { op: 'top-k', keys, types, visible, limit, offset };
}

/** True when `nodes` are exactly the source's columns, in order. */
function isIdentity(nodes: unknown[], source: Source): boolean {
  const columns = source.scope.columns;
  return (
    nodes.length === columns.length &&
    nodes.every(
      (node, i) =>
        exprKey(node) === exprKey({ ColumnRef: { fields: [{ String: { sval: columns[i]?.name } }] } }),
    )
  );
}
