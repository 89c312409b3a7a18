/**
 * The engine contract: what Materialize's `SUBSCRIBE <view> WITH (PROGRESS)` offers. The embedded
 * engine and remote engines implement it, so the hub has one code path for all of them.
 */

import type { Change, Row } from '../core/multiset.js';
import type { InputChange } from './delta/interface.js';

export type { Row };

/**
 * Engine timestamps are integers that only grow (milliseconds since the epoch in practice).
 * Materialize may send values above 2^53; they are parsed as BigInt at the edge and carried as
 * numbers here only while they are safe integers.
 */
export type Timestamp = number;

export interface Column {
  name: string;
  /** The Postgres type name, e.g. `text`, `bigint`. */
  type: string;
}

/** Which engine path maintains a view: the delta operators, PGlite, or a remote engine. */
export type ViewPath = 'delta' | 'pglite' | 'remote';

export interface ViewInfo {
  name: string;
  columns: Column[];
  /** Absent for engines that do not say (treated as the engine's only path). */
  path?: ViewPath;
  /** Why a view is not on the delta path. */
  reason?: string;
  /**
   * Columns no two rows of the view share, where the engine knows (`[]`: at most one row): clients
   * may hold the view as a set on them (the keyed wire form). Absent: not known to be unique.
   */
  key?: string[];
}

/**
 * One SUBSCRIBE output row. A progress row at `timestamp` means every change before `timestamp`
 * has been sent. A data row changes the multiplicity of `row` by `diff` (any non-zero integer).
 */
export type SubscribeRow =
  | { progressed: true; timestamp: Timestamp }
  | { progressed: false; timestamp: Timestamp; diff: number; row: Row }
  /**
   * The view's errors from `timestamp` on (errors are data: a view is in error while some input
   * makes its SQL fail). An empty list means the view is no longer in error. Sent only when the
   * errors change, before the progress row that closes `timestamp`.
   */
  | { progressed: false; timestamp: Timestamp; errors: ViewErrorInfo[] };

/**
 * Why a view is in error: Postgres's SQLSTATE and message (e.g. 22012 "division by zero") and,
 * where known, the failing value.
 */
export interface ViewErrorInfo {
  view: string;
  sqlstate: string;
  message: string;
  value?: string;
}

export interface SubscribeOptions {
  /** Send the current contents first, as inserts at the first timestamp (default true). */
  snapshot?: boolean;
  /**
   * Called when the engine had to subscribe again from scratch (a remote engine after a lost
   * connection). The rows that follow start over with a progress row and a new snapshot, which
   * replaces everything sent before.
   */
  onRestart?: () => void;
  /**
   * Called when the subscription is interrupted. `fatal: false`: it is being set up again (rows
   * resume, after `onRestart`); `fatal: true`: it gave up for good (the view's columns changed, a
   * protocol error, an unknown view) and no more rows follow. The error's code says which.
   */
  onInterrupted?: (problem: SubscriptionProblem) => void;
}

export interface SubscriptionProblem {
  fatal: boolean;
  error: Error;
}

export interface Subscription {
  close(): void;
}

export type SubscribeListener = (rows: SubscribeRow[]) => void;

/**
 * One timestamp of a view, as a subscriber assembles it from SUBSCRIBE rows: `timestamp` is the
 * one the view is complete at (its progress row is at `timestamp + 1`).
 */
export interface ViewBatch {
  timestamp: Timestamp;
  /** Consolidated: one entry per distinct row, diffs never zero. Empty for a pure progress step. */
  changes: Change[];
  /** Present when the view's errors changed at this timestamp: the new list (empty: no longer in error). */
  errors?: ViewErrorInfo[];
}

export type ViewBatchListener = (batch: ViewBatch) => void;

export interface Engine {
  /** Views this engine serves, in the order they were defined. Known once `start` resolves. */
  readonly views: ViewInfo[];
  start(): Promise<void>;
  /** Rows arrive in order; the first call starts with a progress row. */
  subscribe(view: string, options: SubscribeOptions, listener: SubscribeListener): Subscription;
  close(): Promise<void>;
  /**
   * True when every call to a listener holds all the rows of its timestamps, consolidated (one
   * row per distinct row, diffs never zero), each followed by its progress row: subscribers then
   * need not consolidate them again.
   */
  readonly consolidated?: boolean;
  /**
   * The same subscription for a subscriber in this process, already assembled: one call per
   * timestamp, exactly the batches that batching `subscribe`'s rows at their progress rows gives
   * (the snapshot first), without a row object per change. A batch and its changes are shared with
   * other subscribers: nobody changes them after the call.
   */
  subscribeBatches?(view: string, options: SubscribeOptions, listener: ViewBatchListener): Subscription;
}

/** An event as it arrived: its parsed JSON object, or its JSON text (core/exact-json.ts reads it). */
export type ArrivedEvent = Record<string, unknown> | string;

/** An event as the engine's input table stores it: column name -> value. */
export type InputRecord = Record<string, unknown>;

/** Engines that own their input (the embedded one) accept events and remember the source position. */
export interface IngestingEngine extends Engine {
  /** The columns of the input table that events are mapped to. */
  readonly inputColumns: Column[];
  /**
   * Applies the records in one transaction, which becomes one timestamp. The sources' resume
   * positions are stored in the same transaction, so a crash neither loses nor repeats an event.
   * `events`: the events as they arrived (every field), which the embedded engine retains (`--retain`):
   * each the parsed object or, from a source that read JSON text, that text (kept as it came).
   */
  ingest(
    records: InputRecord[],
    positions: Record<string, string>,
    events?: ArrivedEvent[],
  ): Promise<Timestamp>;
  /**
   * Applies input changes of any declared table (negative diffs retract rows) in one transaction,
   * which becomes one timestamp, with the sources' positions stored in the same transaction.
   * `ingest` is the special case of insertions into the first table.
   */
  ingestChanges(changes: InputChange[], positions: Record<string, string>): Promise<Timestamp>;
  /** The position stored with the last committed batch of `source`, or null. */
  resumePosition(source: string): Promise<string | null>;
}
