/**
 * An ad-hoc query over one served view (`SUBSCRIBE (SELECT ... FROM top10 WHERE ...)`, a browser's
 * query), compiled by the views file's planner and run by the same operators as a delta-path view.
 * Its input is the served view's own batches as the hub publishes them (wire values, converted
 * back to internal ones): the same arithmetic on the same diffs as a view defined over that view
 * in the views file, without touching the engine's graph. The served view is the query's only
 * relation, so a query cannot read anything else (the input table, another view, the catalog).
 */
import type { SelectStmt } from 'libpg-query';
import type { Change, Row } from '../../core/multiset.js';
import { baseType } from '../../sql/parse-types.js';
import { compileView } from '../../sql/planner/compile-view.js';
import type { PlanColumn } from '../../sql/planner/delta-plan.js';
import type { Relation } from '../../sql/planner/source-scope.js';
import { containsMzNow } from '../../sql/planner/temporal-filter.js';
import { fromWire, Unsupported, type SqlType, type WireValue } from '../../sql/scalar/index.js';
import type { Column } from '../types.js';
import type { Batch, DeltaRow } from './batch.js';
import type { ViewErrorInfo } from './interface.js';
import { NO_STORE } from './memory-store.js';
import { ViewPipeline } from './view-pipeline.js';

export interface QuerySource {
  /** The served view the query reads. */
  name: string;
  columns: Column[];
}

export interface QueryDelta {
  changes: Change[];
  errors: Array<[ViewErrorInfo, number]>;
}

export class QueryPipeline {
  private readonly pipeline: ViewPipeline;
  /** Per source column: its type when the query reads it, else null (the value is not converted). */
  private readonly inputTypes: Array<SqlType | null>;

  /**
   * Compiles `select` over `source`. Throws Unsupported (with the reason) for a shape the delta
   * path does not maintain, SqlCompileError for one Postgres would refuse too.
   */
  constructor(name: string, select: SelectStmt, source: QuerySource) {
    if (containsMzNow(select)) throw new Unsupported('temporal filters (mz_now()) in a query run on PGlite');
    const relation: Relation = { name: source.name, kind: 'table', path: 'delta', columns: source.columns };
    const plan = compileView(
      { name, query: '', line: 1, ast: select, fingerprint: '' },
      new Map([[source.name, relation]]),
    );
    this.inputTypes = source.columns.map((c) =>
      plan.reads.has(c.name) ? (baseType(c.type) as SqlType) : null,
    );
    this.pipeline = new ViewPipeline(plan, NO_STORE, null);
    // What operators produce at creation (a global aggregate's row over no input).
    this.pipeline.run({ rows: [], errors: [] }, { timestamp: 0 }, true);
  }

  get columns(): PlanColumn[] {
    return this.pipeline.plan.columns;
  }

  /** Runs the served view's changes (wire rows) at `timestamp`; returns the query's changes. */
  apply(changes: Iterable<Change>, timestamp: number): QueryDelta {
    const input: Batch = { rows: [], errors: [] };
    for (const [row, diff] of changes) input.rows.push([this.internal(row), diff]);
    const { output, errors } = this.pipeline.run(input, { timestamp });
    return { changes: this.pipeline.wire(output.rows), errors };
  }

  /** The query's current rows, in wire form. */
  contents(): Change[] {
    return this.pipeline.contents();
  }

  /** The query's current errors (a division by zero on some row): empty when it is not in error. */
  errors(): ViewErrorInfo[] {
    return this.pipeline.currentErrors();
  }

  private internal(row: Row): DeltaRow {
    const types = this.inputTypes;
    const out: DeltaRow = new Array<unknown>(types.length);
    for (let i = 0; i < types.length; i++) {
      const type = types[i];
      const value = row[i] ?? null;
      out[i] =
        type === null || type === undefined || value === null ? null : fromWire(type, value as WireValue);
    }
    return out;
  }
}
