/**
 * What the embedded engine keeps across restarts, committed together in one store transaction per
 * ingest transaction: the delta operators' state entries (`StateStore`), each source's resume
 * position, the transaction's timestamp, and the input of the last transaction for the PGlite path
 * until PGlite has committed it too. The store is the source of truth: PGlite may lag by at most
 * that one transaction, which is re-applied at start.
 */
import type { InputChange, StateStore } from '../delta/interface.js';
import type { Timestamp } from '../types.js';
import type { RetainedLog } from './retained-log.js';

/**
 * A transaction's input as the PGlite path receives it (only the columns its views read), kept until
 * PGlite has committed it.
 */
export interface PendingTransaction {
  timestamp: Timestamp;
  changes: InputChange[];
}

export interface EngineStore extends StateStore {
  /** The timestamp of the last committed transaction (0 for a new store). */
  readonly lastTimestamp: Timestamp;
  /** The PGlite path's input of the last transaction, or null when no view runs on PGlite. */
  readonly pending: PendingTransaction | null;
  /** True when the store was created by this start (nothing was committed before). */
  readonly created: boolean;
  /** Facts about the opening worth a log line (a torn journal record cut off). */
  readonly notes?: readonly string[];
  /** The retained event log (`--retain`), written by `commit`; null when nothing is kept on disk. */
  readonly log: RetainedLog | null;
  position(source: string): string | null;
  /** A bookkeeping value (data format, views hash), or undefined. */
  meta(key: string): string | undefined;
  /** Written with the next commit. */
  setMeta(key: string, value: string): void;
  /**
   * Writes every entry set or deleted since the last commit, the positions, the timestamp and the
   * pending PGlite input in one transaction, and resolves once it is durable: nothing that a crash
   * could take back may be published before this resolves (a power cut, too, with `--sync-commits`;
   * without it, up to the last second of transactions, the sources' positions with them).
   */
  commit(
    timestamp: Timestamp,
    positions: Record<string, string>,
    pending: PendingTransaction | null,
  ): Promise<void>;
  close(): Promise<void>;
}

/** Marks a deleted entry in a transaction's write set. */
export const DELETED: unique symbol = Symbol('deleted');

/** The writes of one transaction, the last one per entry winning. */
export class WriteSet {
  /** op -> key -> value (or DELETED). */
  readonly ops = new Map<string, Map<string, unknown>>();
  size = 0;

  set(op: string, key: string, value: unknown): void {
    let entries = this.ops.get(op);
    if (!entries) this.ops.set(op, (entries = new Map()));
    if (!entries.has(key)) this.size++;
    entries.set(key, value);
  }

  /**
   * Empties every operator's map but keeps the maps: they are written again in the next
   * transaction (a map made per operator per transaction, and grown, was among the largest
   * allocations per event at the live rate: BENCHMARKS.md, "Allocation per event at the live rate").
   */
  clear(): void {
    this.ops.forEach(clearEntries);
    this.size = 0;
  }
}

function clearEntries(entries: Map<string, unknown>): void {
  if (entries.size > 0) entries.clear();
}
