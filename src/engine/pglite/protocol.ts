/** Messages between the embedded engine (main thread) and its PGlite worker. */
import type { Change } from '../../core/multiset.js';
import type { Column, Timestamp, ViewErrorInfo } from '../types.js';

export interface InitRequest {
  type: 'init';
  /** Where PGlite keeps its database; null keeps it in memory. */
  dataDir: string | null;
  viewsSql: string;
  viewsFile: string;
  /** The views to create, in file order: the PGlite-path views and the views they read. */
  create: string[];
  /** The views whose changes and snapshots the worker serves (the PGlite-path ones). */
  serve: string[];
  /** The input columns the created views read: the only ones ingest sends. */
  inputColumns: string[];
}

export type Request =
  | ({ id: number } & InitRequest)
  | { id: number; type: 'ingest'; steps: IngestStep[]; timestamp: Timestamp }
  | { id: number; type: 'snapshot'; view: string }
  | { id: number; type: 'close' };

/**
 * Part of one ingest transaction: rows of one table to insert (`rows`: a JSON array of objects keyed
 * by column, serialized on the main thread), or one row to retract (`rows`: one such object).
 */
export interface IngestStep {
  table: string;
  retract: boolean;
  rows: string;
}

export interface ViewChanges {
  view: string;
  changes: Change[];
  /** The view's whole error list when it changed in this transaction (empty: no longer in error). */
  errors?: ViewErrorInfo[];
}

export interface InitResult {
  /** The served views' columns, as Postgres reports them. */
  columns: Record<string, Column[]>;
  /** The timestamp of PGlite's last commit (0 for a new database). */
  timestamp: Timestamp;
  /** Start-up warnings, e.g. views that are re-evaluated in full on every transaction. */
  warnings: string[];
}

export interface CommitResult {
  timestamp: Timestamp;
  views: ViewChanges[];
}

export interface SnapshotResult {
  timestamp: Timestamp;
  rows: Change[];
  /** The view's errors while it is in error (its rows are then the last ones it had without). */
  errors: ViewErrorInfo[];
}

/** A worker reply. Errors cross as plain data because Error subclasses do not survive cloning. */
export type Reply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code: string; message: string; name: string } };
