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

/** Writes of one operator searched in order; more than this many are looked up in a map. */
const FEW_WRITES = 8;

/**
 * One operator's writes in a transaction, in the order of their first write, the last value per key
 * winning (as a map's). At the live rate an operator writes one to three entries per transaction:
 * they are kept in two arrays, reused from one transaction to the next and searched in order; a map
 * is made only for an operator that writes more (a burst). Emptying a map per operator per
 * transaction gave each its new table (`Map.clear`): 1.2 KB per event with dashboard.sql.
 */
export class OpWrites {
  private keys: string[] = [];
  private values: unknown[] = [];
  /** Key -> index, for many writes only. */
  private index: Map<string, number> | null = null;
  size = 0;

  /** True when the key was not written before in this transaction. */
  set(key: string, value: unknown): boolean {
    const at = this.indexOf(key);
    if (at >= 0) {
      this.values[at] = value;
      return false;
    }
    const n = this.size++;
    this.keys[n] = key;
    this.values[n] = value;
    if (this.index) this.index.set(key, n);
    else if (this.size > FEW_WRITES) {
      this.index = new Map();
      for (let i = 0; i < this.size; i++) this.index.set(this.keys[i] as string, i);
    }
    return true;
  }

  private indexOf(key: string): number {
    if (this.index) return this.index.get(key) ?? -1;
    const keys = this.keys;
    for (let i = 0; i < this.size; i++) if (keys[i] === key) return i;
    return -1;
  }

  keyAt(i: number): string {
    return this.keys[i] as string;
  }

  valueAt(i: number): unknown {
    return this.values[i];
  }

  /** Lets go of the values (and of a burst's arrays) but keeps small arrays for the next transaction. */
  clear(): void {
    if (this.size === 0) return;
    if (this.index) {
      this.keys = [];
      this.values = [];
      this.index = null;
    } else this.values.fill(undefined, 0, this.size);
    this.size = 0;
  }
}

/** The writes of one transaction, per operator. */
export class WriteSet {
  /** op -> its writes (kept from one transaction to the next). */
  readonly ops = new Map<string, OpWrites>();
  size = 0;

  set(op: string, key: string, value: unknown): void {
    let entries = this.ops.get(op);
    if (!entries) this.ops.set(op, (entries = new OpWrites()));
    if (entries.set(key, value)) this.size++;
  }

  clear(): void {
    this.ops.forEach(clearEntries);
    this.size = 0;
  }
}

function clearEntries(entries: OpWrites): void {
  entries.clear();
}
