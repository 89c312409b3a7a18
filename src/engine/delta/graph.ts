/**
 * The delta graph: every delta-path view of a views file as a pipeline of operators, wired so that
 * a view over a view takes its changes, in file order (a view reads only views defined before
 * it). One `apply` is one transaction: the input changes go in, each view's consolidated changes
 * and error changes come out; operator state is reported to the StateStore as it changes.
 */
import { ViewcastError } from '../../core/errors.js';
import { compilePlans, type PlanOptions } from '../../sql/planner/plan-views.js';
import type { ViewsFile } from '../../sql/views-file.js';
import { emptyBatch, errorKey, type Batch, type ErrorChange, type RowChange } from './batch.js';
import type {
  DeltaGraph,
  InputChange,
  PlannedView,
  StateStore,
  ViewDelta,
  ViewErrorInfo,
} from './interface.js';
import { TableInput } from './table-input.js';
import { ViewPipeline } from './view-pipeline.js';
import type { Change } from '../../core/multiset.js';

export type DeltaGraphOptions = PlanOptions;

/** Evaluation time of what operators produce at creation (a global aggregate's first row). */
const CREATION = { timestamp: 0 };

export function buildDeltaGraph(
  viewsFile: ViewsFile,
  store: StateStore,
  options: DeltaGraphOptions = {},
): DeltaGraph {
  const planned = compilePlans(viewsFile, options);
  const { views, plans } = planned;
  const pipelines = new Map<string, ViewPipeline>();
  const tables = new Map<string, TableInput>();
  for (const view of views) {
    const plan = plans.get(view.name);
    if (!plan) continue;
    const upstream = plan.source.kind === 'view' ? (pipelines.get(plan.source.name) ?? null) : null;
    pipelines.set(view.name, new ViewPipeline(plan, store, upstream));
    const source = plan.source.name;
    const columns = planned.tables.get(source);
    if (plan.source.kind === 'table' && columns && !tables.has(source))
      tables.set(source, new TableInput(columns));
  }
  const graph = new Graph(views, pipelines, tables);
  graph.propagate(new Map(), CREATION, true);
  graph.finish(); // what operators made at creation is already their state
  return graph;
}

/** A view's output over the parts of a transaction applied so far. */
interface Collected {
  rows: RowChange[];
  errors: ErrorChange[];
  /** How many parts made them: rows of several parts may repeat, one part's are consolidated. */
  parts: number;
}

class Graph implements DeltaGraph {
  private readonly collected = new Map<ViewPipeline, Collected>();

  constructor(
    readonly views: PlannedView[],
    private readonly pipelines: Map<string, ViewPipeline>,
    private readonly tables: Map<string, TableInput>,
  ) {}

  apply(changes: InputChange[], timestamp: number): ViewDelta[] {
    this.applyPart(changes, timestamp);
    return this.finish();
  }

  applyPart(changes: InputChange[], timestamp: number): void {
    const inputs = new Map<string, Batch>();
    for (const [name, list] of byTable(changes)) {
      const table = this.tables.get(name);
      if (!table) continue; // no delta-path view reads it
      const batch = emptyBatch();
      table.convert(list, batch);
      inputs.set(name, batch);
    }
    this.propagate(inputs, { timestamp }, false);
  }

  /** Runs every pipeline whose source changed, in file order; collects the views' output. */
  propagate(inputs: Map<string, Batch>, ctx: { timestamp: number }, initial: boolean): void {
    for (const pipeline of this.pipelines.values()) {
      const input = inputs.get(pipeline.plan.source.name);
      const idle = !input || (input.rows.length === 0 && input.errors.length === 0);
      if (!initial && idle && !pipeline.due(ctx.timestamp)) continue;
      const { output, errors } = pipeline.run(input ?? emptyBatch(), ctx, initial);
      inputs.set(pipeline.name, output);
      if (output.rows.length === 0 && errors.length === 0) continue;
      const collected = this.collected.get(pipeline);
      // Operators may hand on arrays they were given: collected parts are joined, never appended to.
      if (!collected) this.collected.set(pipeline, { rows: output.rows, errors, parts: 1 });
      else {
        collected.rows = collected.rows.concat(output.rows);
        collected.errors = collected.errors.concat(errors);
        collected.parts += 1;
      }
    }
  }

  finish(): ViewDelta[] {
    const deltas: ViewDelta[] = [];
    for (const pipeline of this.pipelines.values()) {
      const collected = this.collected.get(pipeline);
      if (!collected) continue;
      const changes = pipeline.wire(collected.rows, collected.parts === 1 && pipeline.distinctOutput);
      const errors = consolidateErrors(collected.errors);
      if (changes.length > 0 || errors.length > 0) deltas.push({ view: pipeline.name, changes, errors });
    }
    this.collected.clear();
    return deltas;
  }

  /** Whether an empty transaction at `timestamp` would change some view (a window closed). */
  due(timestamp: number): boolean {
    for (const pipeline of this.pipelines.values()) if (pipeline.due(timestamp)) return true;
    return false;
  }

  private pipeline(view: string): ViewPipeline {
    const pipeline = this.pipelines.get(view);
    if (pipeline) return pipeline;
    const planned = this.views.find((v) => v.name === view);
    throw new ViewcastError(
      'VIEWCAST_NOT_DELTA',
      planned ? `view "${view}" runs on ${planned.path}, not on the delta path` : `no view "${view}"`,
    );
  }

  snapshot(view: string): Change[] {
    return this.pipeline(view).contents();
  }

  errors(view: string): ViewErrorInfo[] {
    return this.pipelines.get(view)?.currentErrors() ?? [];
  }
}

/**
 * The changes by table, those with diff 0 left out. Events fill one table: the changes of one
 * table without a 0 are passed on as they are, without a map and a list per transaction.
 */
function byTable(changes: InputChange[]): Iterable<[string, InputChange[]]> {
  const only = changes[0]?.table;
  if (only === undefined) return [];
  let single = true;
  for (const change of changes) if (change.table !== only || change.diff === 0) single = false;
  if (single) return [[only, changes]];
  const tables = new Map<string, InputChange[]>();
  for (const change of changes) {
    if (change.diff === 0) continue;
    let list = tables.get(change.table);
    if (!list) tables.set(change.table, (list = []));
    list.push(change);
  }
  return tables;
}

/** Error changes of several parts as one: summed per error, those that cancel out dropped. */
function consolidateErrors(errors: ErrorChange[]): ErrorChange[] {
  if (errors.length <= 1) return errors;
  const sums = new Map<string, ErrorChange>();
  for (const [info, diff] of errors) {
    const key = errorKey(info);
    const sum = sums.get(key);
    if (sum) sum[1] += diff;
    else sums.set(key, [info, diff]);
  }
  return [...sums.values()].filter(([, diff]) => diff !== 0);
}
