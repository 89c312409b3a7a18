/**
 * One delta-path view as a chain of operators built from its plan's stages, with stable operator
 * ids (`<view>/map`, `<view>/reduce`, `<view>/distinct`, `<view>/top-k`, `<view>/rows`). The last
 * operator holds the view's contents; where it would not (a view that only filters), a
 * Materialize keeps them.
 *
 * Only the first stateful operator of the chain that reads a table keeps its memory in the
 * StateStore. Every other stateful operator reads something that already holds its whole input (an
 * earlier operator of the chain, or the view it reads): at start it is seeded from that, so its
 * memory is never written to the store. For `top10` over `user_edits` that removes two writes per
 * changed user, and a restart costs one pass over the groups, never the history.
 */
import type { DeltaViewPlan, Stage } from '../../sql/planner/delta-plan.js';
import type { EvalContext, SqlType } from '../../sql/scalar/interface.js';
import { toWire } from '../../sql/scalar/index.js';
import type { Change } from '../../core/multiset.js';
import {
  isSnapshotting,
  type Batch,
  type DeltaRow,
  type Operator,
  type RowChange,
  type Snapshotting,
} from './batch.js';
import type { StateStore, ViewErrorInfo } from './interface.js';
import { MapFilter } from './map-filter.js';
import { NO_STORE } from './memory-store.js';
import { Materialize } from './materialize.js';
import { Reduce } from './reduce.js';
import { exactKey } from './row-key.js';
import { TopK } from './top-k.js';
import { TemporalFilter } from './temporal-filter.js';
import { ViewErrors } from './view-errors.js';

/** Every role whose operator may keep state in the store; an operator's id is `<view>/<role>`. */
export const STATEFUL_ROLES = ['reduce', 'distinct', 'top-k', 'rows', 'errors', 'temporal'] as const;
export type StatefulRole = (typeof STATEFUL_ROLES)[number];

/** The id an operator of `view` stores its state under. */
export function operatorId(view: string, role: StatefulRole | 'map'): string {
  return `${view}/${role}`;
}

const START: EvalContext = { timestamp: 0 };

export class ViewPipeline {
  private readonly operators: Operator[] = [];
  /** Operators built from what precedes them: they ignore the creation pass (see `run`). */
  private readonly seeded = new Set<Operator>();
  private readonly last: Snapshotting;
  private readonly errors: ViewErrors;
  private readonly types: SqlType[];
  private readonly temporal: TemporalFilter[] = [];
  /**
   * The last operator never emits a row twice in one run: a top-k's and a materialized view's
   * changes are consolidated, and so are a reduce's when two groups never show the same row.
   */
  readonly distinctOutput: boolean;

  /** `upstream`: the pipeline of the view this one reads, null when it reads a table. */
  constructor(
    readonly plan: DeltaViewPlan,
    store: StateStore,
    upstream: ViewPipeline | null,
  ) {
    const view = plan.name;
    // A view over this one finds rows by their key (a top-k's index, a materialized copy), unless
    // it starts with a projection, whose rows are new ones.
    if (upstream?.last instanceof Reduce && !projects(plan.stages[0])) upstream.last.keyRows();
    let producer: Snapshotting | null = upstream?.last ?? null;
    // Stateless steps since the last stateful operator: a seed from upstream passes through them.
    let maps: Array<MapFilter | TemporalFilter> = [];
    const add = (make: (store: StateStore) => Snapshotting): Snapshotting => {
      const op = make(producer ? NO_STORE : store);
      if (producer) {
        let seed: Batch = { rows: [...producer.contents()], errors: [] };
        for (const map of maps) seed = map.apply(seed, START);
        if (op instanceof TopK) op.seed(seed.rows);
        else op.apply({ rows: seed.rows, errors: [] }, START);
        this.seeded.add(op);
      }
      this.operators.push(op);
      producer = op;
      maps = [];
      return op;
    };
    for (const stage of plan.stages) {
      // What follows a reduce may find its rows by key (a top-k): its rows carry their keys.
      const previous = this.operators[this.operators.length - 1];
      if (previous instanceof Reduce && !projects(stage)) previous.keyRows();
      if (stage.op === 'map') {
        const map = new MapFilter(operatorId(view, 'map'), view, stage.where, stage.project);
        this.operators.push(map);
        maps.push(map);
      } else if (stage.op === 'reduce') {
        add((s) => new Reduce(operatorId(view, stage.role), { ...stage, view }, s));
      } else if (stage.op === 'temporal') {
        // The pipeline runs whenever the window's queue has something due. Over another view the
        // queue is rebuilt from the seed, like every operator there; over a table it is stored.
        const temporal = new TemporalFilter(
          operatorId(view, 'temporal'),
          view,
          stage,
          producer ? NO_STORE : store,
        );
        this.temporal.push(temporal);
        this.operators.push(temporal);
        maps.push(temporal);
      } else {
        add((s) => new TopK(operatorId(view, 'top-k'), stage, s));
      }
    }
    const tail = this.operators[this.operators.length - 1];
    this.last =
      tail && isSnapshotting(tail) ? tail : add((s) => new Materialize(operatorId(view, 'rows'), s));
    const last = this.last;
    this.distinctOutput = last instanceof Reduce ? last.distinctRows : true;
    this.errors = new ViewErrors(operatorId(view, 'errors'), store);
    this.types = plan.columns.map((c) => c.type);
  }

  /** True when a temporal filter of this view has changes due at `timestamp`. */
  due(timestamp: number): boolean {
    const temporal = this.temporal;
    for (let i = 0; i < temporal.length; i++) if ((temporal[i] as TemporalFilter).due(timestamp)) return true;
    return false;
  }

  get name(): string {
    return this.plan.name;
  }

  /**
   * Runs a transaction's input through the operators. With `initial` (once, when the graph is
   * built), the input is what operators produced at creation on a new store (a global aggregate's
   * first row): persisted operators take it in, seeded ones already hold it.
   */
  run(
    input: Batch,
    ctx: EvalContext,
    initial = false,
  ): { output: Batch; errors: Array<[ViewErrorInfo, number]> } {
    let batch = input;
    const operators = this.operators;
    for (let i = 0; i < operators.length; i++) {
      const op = operators[i] as Operator;
      if (initial && this.seeded.has(op)) {
        batch = { rows: [], errors: batch.errors };
        continue;
      }
      const next = operators[i + 1];
      if (op instanceof MapFilter && next instanceof Reduce && !(initial && this.seeded.has(next))) {
        // The reduce takes the map's rows one by one: no row is made per input row.
        batch = next.applyMapped(op, batch, ctx);
        if (initial) batch = withInitial(batch, next);
        i++;
        continue;
      }
      batch = op.apply(batch, ctx);
      if (initial && op instanceof Reduce) batch = withInitial(batch, op);
    }
    return { output: batch, errors: this.errors.apply(batch.errors) };
  }

  /**
   * Rows of internal values, consolidated, in wire form. `distinct`: no row is there twice (one
   * run of an operator whose output is consolidated, `distinctOutput`), so nothing is summed.
   */
  wire(rows: RowChange[] | Iterable<RowChange>, distinct = false): Change[] {
    if (distinct && Array.isArray(rows)) {
      const changes: Change[] = new Array<Change>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const [row, diff] = rows[i] as RowChange;
        changes[i] = [this.wireRow(row), diff];
      }
      return changes;
    }
    const sums = new Map<string, Change>();
    for (const [row, diff, known] of rows) {
      const key = known ?? exactKey(row);
      const sum = sums.get(key);
      if (sum) {
        sum[1] += diff;
        continue;
      }
      sums.set(key, [this.wireRow(row), diff]);
    }
    const changes: Change[] = [];
    for (const change of sums.values()) if (change[1] !== 0) changes.push(change);
    return changes;
  }

  /**
   * A row in wire form. Text, booleans, safe integers and NULLs are their own wire form: a row of
   * only those is passed on as it is (rows are never changed once made), without a copy.
   */
  private wireRow(row: DeltaRow): unknown[] {
    const types = this.types;
    let out: unknown[] | null = null;
    for (let i = 0; i < row.length; i++) {
      const value = row[i] ?? null;
      const wire = toWire(types[i] as SqlType, value);
      if (out === null) {
        if (wire === value && row[i] !== undefined) continue;
        out = row.slice(0, i);
      }
      out.push(wire);
    }
    return out ?? row;
  }

  contents(): Change[] {
    return this.wire(this.last.contents());
  }

  currentErrors(): ViewErrorInfo[] {
    return this.errors.current();
  }
}

/** A reduce's output of the creation pass, with what it made at construction (a global row). */
function withInitial(batch: Batch, reduce: Reduce): Batch {
  const first = reduce.initial();
  return { rows: batch.rows.concat(first.rows), errors: batch.errors.concat(first.errors) };
}

/** A stage that makes new rows of its input's (a projection): its input's row keys are not used. */
function projects(stage: Stage | undefined): boolean {
  return stage?.op === 'map' && stage.project !== null;
}
