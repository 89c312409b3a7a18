/**
 * A view in the browser: a multiset of rows plus the timestamp it reflects. Initializing and
 * updating are one operation: the first message of a stream is the whole state, applied to empty.
 */
import { consolidate, difference, Multiset, type Change, type Row } from '../core/multiset.js';
import { KeyIndex, keyColumns } from '../core/keyed.js';
import type { KeyedDiff, StreamMessage, ViewDiff, ViewErrorBody } from '../core/wire-protocol.js';

export type { StreamMessage };

/** A net change to one view: apply `deleted` (one equal row per entry, by value), then `inserted`. */
export interface ViewChange {
  inserted: Row[];
  deleted: Row[];
  /** The server replaced the view's contents (a snapshot or a reset); the diff is still exact. */
  reset: boolean;
  /** The view went into error: its rows are gone (all in `deleted`) until it recovers. */
  error?: ViewErrorBody;
}

/** Expands signed changes into the wire's two lists; a row with diff +2 appears twice. */
export function toViewChange(changes: Iterable<Change>, reset = false): ViewChange {
  const inserted: Row[] = [];
  const deleted: Row[] = [];
  for (const [row, diff] of consolidate(changes)) {
    const target = diff > 0 ? inserted : deleted;
    for (let i = 0; i < Math.abs(diff); i++) target.push(row);
  }
  return { inserted, deleted, reset };
}

export function toChanges(change: { inserted: Row[]; deleted: Row[] }): Change[] {
  const changes: Change[] = [];
  for (const row of change.deleted ?? []) changes.push([row, -1]);
  for (const row of change.inserted ?? []) changes.push([row, 1]);
  return changes;
}

export class LiveView {
  readonly rows = new Multiset();
  timestamp: number | null = null;
  columns: string[] = [];
  /**
   * Set while the view is in error (its SQL fails on some input it reads): the server sends no rows
   * for it then, and the view holds none, so a page shows the error instead of stale rows. Cleared
   * when the server sends the recovered view's state.
   */
  error: ViewErrorBody | null = null;
  /**
   * The view's key, when the server sends it in the keyed form: the view is then a set on that key,
   * and an upserted row replaces the row with the same key.
   */
  key: string[] | null = null;
  private index: KeyIndex | null = null;

  constructor(readonly name = '') {}

  /** Applies a batch; returns it as changes (row, diff) for listeners. */
  apply(message: StreamMessage): Change[] {
    const changes = this.applyDiff(message);
    this.timestamp = message.timestamp;
    return changes;
  }

  /** Applies one view's diff (seed, positional or keyed) to the rows; returns it as changes. */
  applyDiff(diff: ViewDiff | KeyedDiff): Change[] {
    if ('upserted' in diff) {
      if (!this.index) throw new TypeError(`keyed changes for view "${this.name}", which has no key`);
      const changes = this.index.apply(diff.upserted, diff.removed);
      this.rows.applyAll(changes);
      return changes;
    }
    const changes = toChanges(diff);
    this.rows.applyAll(changes);
    this.index?.follow(changes);
    return changes;
  }

  /**
   * Replaces the contents (snapshot or reset) and returns the exact difference to the old ones.
   * `key`: the view's key when its changes come keyed (null: they do not; undefined: as before).
   */
  replace(rows: Row[], timestamp: number, columns?: string[], key?: string[] | null): Change[] {
    const next = new Multiset();
    for (const row of rows) next.apply(row, 1);
    const changes = difference(this.rows, next);
    this.rows.applyAll(changes);
    this.timestamp = timestamp;
    this.error = null;
    if (columns) this.columns = columns;
    if (key !== undefined) this.key = key;
    this.keyBy(keyColumns(this.columns, this.key));
    return changes;
  }

  /** Holds the view as a set on the columns at `positions` (null: as a multiset). */
  keyBy(positions: readonly number[] | null): void {
    this.index = positions ? new KeyIndex(positions) : null;
    this.index?.reset(this.rows.rows());
  }

  /** The view went into error: drops its rows (returned as deletions) and keeps the error. */
  fail(error: ViewErrorBody): Change[] {
    const changes = difference(this.rows, new Multiset());
    this.rows.applyAll(changes);
    this.index?.reset([]);
    this.timestamp = null;
    this.error = error;
    return changes;
  }

  /** Rows as objects keyed by column name, each as many times as it occurs. */
  objects(): Array<Record<string, unknown>> {
    return this.rows.rows().map((row) => {
      const datum: Record<string, unknown> = {};
      this.columns.forEach((column, i) => (datum[column] = row[i] ?? null));
      return datum;
    });
  }

  reset(): void {
    this.rows.clear();
    this.index?.reset([]);
    this.timestamp = null;
    this.error = null;
  }
}
