/**
 * Plans every view of a views file onto a path: the delta path when its shape is supported and it
 * reads only tables and delta-path views, else PGlite, with the reason a user reads at start-up.
 * Errors Postgres would also raise (an unknown column) stop start-up with the view's name and line.
 */
import { ViewDefinitionError } from '../../core/errors.js';
import type { PlannedView } from '../../engine/delta/interface.js';
import { SqlCompileError, Unsupported } from '../scalar/index.js';
import type { ViewsFile, ViewStatement } from '../views-file.js';
import { walk } from './ast.js';
import { compileView } from './compile-view.js';
import type { DeltaViewPlan } from './delta-plan.js';
import { columnsRead, type Relation } from './source-scope.js';
import { containsMzNow } from './temporal-filter.js';

export interface PlanOptions {
  /** Every view on PGlite (to compare the paths, or to work around a delta-path defect). */
  forcePglite?: boolean;
}

export interface Planned {
  views: PlannedView[];
  /**
   * Per table, the columns some view reads, in table order: the rows of a table carry only these
   * (a 21-column event read by `count(*)` and `GROUP BY "user"` is a row of one value).
   */
  tables: Map<string, Array<{ name: string; type: string }>>;
  /** The compiled delta-path views, by name. */
  plans: Map<string, DeltaViewPlan>;
}

export const FORCED_REASON = 'the PGlite path is forced for every view';

export function planViews(viewsFile: ViewsFile, options: PlanOptions = {}): PlannedView[] {
  return compilePlans(viewsFile, options).views;
}

export function compilePlans(viewsFile: ViewsFile, options: PlanOptions = {}): Planned {
  const catalog = new Map<string, Relation>();
  const tables = new Map<string, Array<{ name: string; type: string }>>();
  for (const table of viewsFile.tables) {
    const names = table.columns.map((c) => c.name);
    const read = new Set<string>();
    for (const view of viewsFile.views) for (const name of columnsRead(view.ast, names)) read.add(name);
    const columns = table.columns.filter((c) => read.has(c.name));
    tables.set(table.name, columns);
    catalog.set(table.name, { name: table.name, kind: 'table', path: 'delta', columns });
  }
  const views: PlannedView[] = [];
  const plans = new Map<string, DeltaViewPlan>();
  for (const view of viewsFile.views) {
    const planned = planView(view, catalog, viewsFile.file, options);
    views.push(planned.view);
    if (planned.plan) plans.set(view.name, planned.plan);
    catalog.set(view.name, {
      name: view.name,
      kind: 'view',
      path: planned.view.path,
      columns: planned.view.columns,
      key: planned.plan?.key ?? null,
    });
  }
  return { views, plans, tables };
}

function planView(
  view: ViewStatement,
  catalog: Map<string, Relation>,
  file: string,
  options: PlanOptions,
): { view: PlannedView; plan: DeltaViewPlan | null } {
  const base = { name: view.name, line: view.line, query: view.query };
  const onPglite = (reason: string): { view: PlannedView; plan: null } => {
    // Temporal filters exist only on the delta path: PGlite has no mz_now().
    if (containsMzNow(view.ast))
      throw new ViewDefinitionError(
        view.name,
        view.line,
        `mz_now() needs the delta path, but ${reason}`,
        file,
      );
    return { view: { ...base, columns: [], path: 'pglite', reason, reads: relationsRead(view) }, plan: null };
  };
  // Temporal filters exist only on the delta path: --pglite-only leaves them, and the
  // views over them, there.
  const timed =
    containsMzNow(view.ast) ||
    relationsRead(view).some(
      (name) => catalog.get(name)?.kind === 'view' && catalog.get(name)?.path === 'delta',
    );
  if (options.forcePglite && !timed) return onPglite(FORCED_REASON);
  try {
    const plan = compileView(view, catalog);
    return {
      view: {
        ...base,
        columns: plan.columns,
        path: 'delta',
        reads: [plan.source.name],
        ...(plan.key ? { key: plan.key } : {}),
      },
      plan,
    };
  } catch (error) {
    if (error instanceof Unsupported) return onPglite(error.reason);
    if (error instanceof SqlCompileError)
      throw new ViewDefinitionError(view.name, view.line, error.message, file);
    // A defect of the delta planner must not stop a view Postgres can run.
    return onPglite(
      `the delta path cannot compile it (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

/** Every relation named in the query (FROM, joins, subqueries), less the query's own WITH names. */
function relationsRead(view: ViewStatement): string[] {
  const names = new Set<string>();
  const ctes = new Set<string>();
  walk([view.ast], (kind, body) => {
    if (kind === 'CommonTableExpr') ctes.add(String(body['ctename'] ?? ''));
    if (kind === 'RangeVar') names.add(String(body['relname'] ?? ''));
    return true;
  });
  return [...names].filter((n) => !ctes.has(n));
}
