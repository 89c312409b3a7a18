/**
 * A delta-path view as the planner compiles it: its source relation and a short chain of stages,
 * each of which becomes one operator of the delta graph (src/engine/delta/). Expressions are
 * already compiled (sql/scalar), column positions resolved: the operators only evaluate.
 */
import type { AggregateDef, CompiledExpr, SqlType } from '../scalar/interface.js';
import type { TemporalStage } from './temporal-filter.js';

export interface PlanColumn {
  name: string;
  type: SqlType;
}

export type AggregateSpec =
  /** `arg` null: count(*), which counts rows. `arg` and `filter` are columns of the input row. */
  | {
      kind: 'accumulable';
      def: AggregateDef;
      argType: SqlType;
      arg: number | null;
      filter: number | null;
      distinct: boolean;
    }
  | {
      kind: 'hierarchical';
      def: AggregateDef;
      argType: SqlType;
      max: boolean;
      arg: number;
      filter: number | null;
    };

/** WHERE and the projection over the source's rows; `project` null passes rows unchanged. */
export interface MapStage {
  op: 'map';
  where: CompiledExpr | null;
  project: CompiledExpr[] | null;
}

/** GROUP BY (or DISTINCT: every column a key, no aggregates) over the previous stage's rows. */
export interface ReduceStage {
  op: 'reduce';
  /** `reduce` for GROUP BY and aggregates, `distinct` for SELECT DISTINCT: the operator's id. */
  role: 'reduce' | 'distinct';
  /** The first `keyTypes.length` input columns are the group key. */
  keyTypes: SqlType[];
  aggregates: AggregateSpec[];
  /** HAVING and the output columns, over [...keys, ...aggregate values]. */
  having: CompiledExpr | null;
  output: CompiledExpr[];
  /** No GROUP BY: exactly one group, present even over no input. */
  global: boolean;
}

export interface SortKey {
  /** Column of the input row. */
  column: number;
  type: SqlType;
  descending: boolean;
  nullsFirst: boolean;
}

/** ORDER BY ... LIMIT ... OFFSET over the previous stage's rows. */
export interface TopKStage {
  op: 'top-k';
  keys: SortKey[];
  /** Types of every input column: the output columns first, then hidden ORDER BY columns. */
  types: SqlType[];
  /** How many leading columns are the view's output. */
  visible: number;
  limit: number;
  offset: number;
}

/** Temporal filters (`mz_now()`): see temporal-filter.ts. */
export type Stage = MapStage | ReduceStage | TopKStage | TemporalStage;

export interface DeltaViewPlan {
  name: string;
  /** The relation in FROM: a table of the views file or an earlier delta-path view. */
  source: { kind: 'table' | 'view'; name: string };
  /** Columns of the source the view reads (by name): only those are converted from the input. */
  reads: Set<string>;
  stages: Stage[];
  columns: PlanColumn[];
  /** Output columns no two rows share (unique-key.ts); `[]`: at most one row; null: none known. */
  key: string[] | null;
}
