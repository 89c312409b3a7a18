/**
 * The delta path as the engine sees it: a compiled graph of incremental operators for every view of
 * a views file that the delta path supports. The engine feeds it the changes of one transaction and
 * gets each view's consolidated changes; it persists operator state through `StateStore`.
 */
import type { Change } from '../../core/multiset.js';
import type { Column, ViewErrorInfo, ViewPath } from '../types.js';

export type { ViewErrorInfo, ViewPath };

export interface PlannedView {
  name: string;
  /** 1-based line of the view's statement in the views file. */
  line: number;
  /** The view's SQL after `AS`, as written. */
  query: string;
  columns: Column[];
  path: ViewPath;
  /** Why the view is not on the delta path (absent for delta views). */
  reason?: string;
  /** Views and tables this view reads directly. */
  reads: string[];
  /** Columns no two of the view's rows share (delta path only; `[]`: at most one row). */
  key?: string[];
}

/** One input change: `diff` copies of `row` (column name -> value as `records.ts` maps events). */
export interface InputChange {
  table: string;
  row: Record<string, unknown>;
  diff: number;
}

export interface ViewDelta {
  view: string;
  /** Consolidated changes of the view's rows, in wire form (see `toWire`). */
  changes: Change[];
  /** Changes of the view's error multiset (row-level and aggregate errors). */
  errors: Array<[ViewErrorInfo, number]>;
}

/**
 * Where operators keep what must survive a restart. The in-memory maps of the operators are the
 * working copy; every entry an operator changes in a transaction is reported here and written at
 * commit, together with the sources' positions, in one store transaction.
 */
export interface StateStore {
  /** All entries stored for operator `op`, to rebuild its memory at start (empty on a new store). */
  entries(op: string): Iterable<[key: string, value: unknown]>;
  /** Records the new value of `key` (plain data: numbers, bigints, strings, booleans, null, arrays, objects). */
  set(op: string, key: string, value: unknown): void;
  delete(op: string, key: string): void;
}

export interface DeltaGraph {
  /** Every view of the views file in file order, with its path. */
  readonly views: PlannedView[];
  /**
   * Applies one transaction's input changes at `timestamp` and returns the changes of every
   * delta-path view (views without changes may be omitted). Never throws for SQL run-time errors:
   * they come back as errors that are data.
   */
  apply(changes: InputChange[], timestamp: number): ViewDelta[];
  /**
   * Applies one part of a transaction (the engine applies a large one in slices, letting the event
   * loop run between them): the views' changes are kept, by the operators' own row keys, until
   * `finish`. Every part of a transaction has the same `timestamp`.
   */
  applyPart(changes: InputChange[], timestamp: number): void;
  /** The changes of every view over the parts applied since the last `finish`, as `apply` gives them. */
  finish(): ViewDelta[];
  /**
   * True when some temporal filter (`mz_now()`) has changes due at `timestamp`: an empty
   * transaction then changes views and its state must be committed.
   */
  due?(timestamp: number): boolean;
  /** A delta-path view's current contents in wire form. */
  snapshot(view: string): Change[];
  /** A delta-path view's current errors (empty when it is not in error). */
  errors(view: string): ViewErrorInfo[];
}
