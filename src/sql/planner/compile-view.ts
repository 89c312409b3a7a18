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
  type SqlType,
} from '../scalar/index.js';
import { kindOf, nameList, type AstNode } from './ast.js';
import { containsAggregate } from './aggregate-calls.js';
import { limits, sortItems, type SortItem, type Target } from './clauses.js';
import { columnName } from './column-names.js';
import type { DeltaViewPlan, PlanColumn, Stage, TopKStage } from './delta-plan.js';
import { unsupportedShape } from './shape.js';
import { splitTemporal, withTemporal } from './temporal-filter.js';
import { uniqueKey } from './unique-key.js';
import { booleanExpr, groupedStages, type Body } from './grouped-stages.js';
import { isIdentity, resolveSource, unqualified, type Relation, type Source } from './source-scope.js';

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
