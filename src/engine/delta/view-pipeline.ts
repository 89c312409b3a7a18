/**
 * One delta-path view as a chain of operators built from its plan's stages, with stable operator
 * ids (`<view>/map`, `<view>/reduce`, `<view>/distinct`, `<view>/top-k`, `<view>/rows`) under
 * which each keeps its state. The last operator holds the view's contents; where it would not (a
 * view that only filters), a Materialize keeps them.
 */
import type { DeltaViewPlan } from '../../sql/planner/delta-plan.js';
import type { EvalContext, SqlType } from '../../sql/scalar/interface.js';
import { toWire } from '../../sql/scalar/index.js';
import type { Change } from '../../core/multiset.js';
import { isSnapshotting, type Batch, type Operator, type RowChange, type Snapshotting } from './batch.js';
import type { StateStore, ViewErrorInfo } from './interface.js';
import { MapFilter } from './map-filter.js';
import { Materialize } from './materialize.js';
import { Reduce } from './reduce.js';
import { exactKey } from './row-key.js';
import { TopK } from './top-k.js';
import { TemporalFilter } from './temporal-filter.js';
import { ViewErrors } from './view-errors.js';

export class ViewPipeline {
  private readonly operators: Operator[] = [];
  private readonly last: Snapshotting;
  private readonly errors: ViewErrors;
  private readonly types: SqlType[];
  private readonly temporal: TemporalFilter[] = [];

  constructor(
    readonly plan: DeltaViewPlan,
    store: StateStore,
  ) {
    const view = plan.name;
    for (const stage of plan.stages) {
      if (stage.op === 'map')
        this.operators.push(new MapFilter(`${view}/map`, view, stage.where, stage.project));
      else if (stage.op === 'reduce')
        this.operators.push(new Reduce(`${view}/${stage.role}`, { ...stage, view }, store));
      else if (stage.op === 'temporal') {
        // Temporal filters (issue 17): the pipeline runs whenever its queue has something due.
        const temporal = new TemporalFilter(`${view}/temporal`, view, stage, store);
        this.temporal.push(temporal);
        this.operators.push(temporal);
      } else this.operators.push(new TopK(`${view}/top-k`, stage, store));
    }
    const tail = this.operators[this.operators.length - 1];
    if (tail && isSnapshotting(tail)) {
      this.last = tail;
    } else {
      const rows = new Materialize(`${view}/rows`, store);
      this.operators.push(rows);
      this.last = rows;
    }
    this.errors = new ViewErrors(`${view}/errors`, store);
    this.types = plan.columns.map((c) => c.type);
  }

  /** True when a temporal filter of this view has changes due at `timestamp` (issue 17). */
  due(timestamp: number): boolean {
    return this.temporal.some((t) => t.due(timestamp));
  }

  get name(): string {
    return this.plan.name;
  }

  /**
   * Runs a transaction's input through the operators. With `initial`, also takes in what the
   * operators produced when they were created on a new store (a global aggregate's first row).
   */
  run(
    input: Batch,
    ctx: EvalContext,
    initial = false,
  ): { output: Batch; errors: Array<[ViewErrorInfo, number]> } {
    let batch = input;
    for (const op of this.operators) {
      batch = op.apply(batch, ctx);
      if (initial && op instanceof Reduce) {
        const first = op.initial();
        batch = { rows: batch.rows.concat(first.rows), errors: batch.errors.concat(first.errors) };
      }
    }
    return { output: batch, errors: this.errors.apply(batch.errors) };
  }

  /** Rows of internal values, consolidated, in wire form. */
  wire(rows: Iterable<RowChange>): Change[] {
    const sums = new Map<string, Change>();
    for (const [row, diff, known] of rows) {
      const key = known ?? exactKey(row);
      const sum = sums.get(key);
      if (sum) {
        sum[1] += diff;
        continue;
      }
      const out = new Array<unknown>(row.length);
      for (let i = 0; i < row.length; i++) out[i] = toWire(this.types[i] as SqlType, row[i] ?? null);
      sums.set(key, [out, diff]);
    }
    return [...sums.values()].filter(([, diff]) => diff !== 0);
  }

  contents(): Change[] {
    return this.wire(this.last.contents());
  }

  currentErrors(): ViewErrorInfo[] {
    return this.errors.current();
  }
}
