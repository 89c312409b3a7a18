/** Messages between the embedded engine (main thread) and its PGlite worker. */
import type { Change } from '../../core/multiset.js';
import type { Column, Timestamp, ViewInfo } from '../types.js';

export interface InitRequest {
  type: 'init';
  /** Null keeps everything in memory. */
  dataDir: string | null;
  viewsSql: string;
  viewsFile: string;
}

export type Request =
  | ({ id: number } & InitRequest)
  /** `records`: a JSON array of input rows (objects keyed by column), serialized once on the main thread. */
  | { id: number; type: 'ingest'; records: string; positions: Record<string, string> }
  | { id: number; type: 'snapshot'; view: string }
  | { id: number; type: 'position'; source: string }
  | { id: number; type: 'close' };

export interface ViewChanges {
  view: string;
  changes: Change[];
}

export interface InitResult {
  views: ViewInfo[];
  inputColumns: Column[];
  warnings: string[];
  timestamp: Timestamp;
}

export interface CommitResult {
  timestamp: Timestamp;
  views: ViewChanges[];
}

export interface SnapshotResult {
  timestamp: Timestamp;
  rows: Change[];
}

/** A worker reply. Errors cross as plain data because Error subclasses do not survive cloning. */
export type Reply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code: string; message: string; name: string } };
