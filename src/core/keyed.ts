/**
 * The keyed form's row arithmetic, shared by the server (which encodes) and the browser client
 * (which applies): a view with a unique key is a set on that key, so a change is a list of rows to
 * upsert and a list of keys to remove, and an updated row travels once. Browser-safe.
 */
import { rowKey, type Change, type Row } from './multiset.js';

/** Positions of a view's key columns, in key order; `[]`: the view has at most one row. */
export type KeyColumns = readonly number[];

/** The positions of `key` (column names) among `columns`, or null when one is missing. */
export function keyColumns(
  columns: readonly string[],
  key: readonly string[] | null | undefined,
): number[] | null {
  if (!key) return null;
  const positions = key.map((name) => columns.indexOf(name));
  return positions.every((at) => at >= 0) ? positions : null;
}

/** A row's key values, as the wire's removed keys carry them. */
export function keyOf(row: Row, key: KeyColumns): Row {
  return key.map((at) => row[at] ?? null);
}

/** A key as text, the identity the client's index uses (values compared as JSON, like rows). */
export function keyText(values: Row): string {
  return rowKey(values);
}

export interface KeyedChange {
  upserted: Row[];
  /** Key values of rows that are gone. */
  removed: Row[];
}

/**
 * A consolidated change of a keyed view as upserts and removals: a key that is deleted and inserted
 * in the same change is sent once, as its new row (the client replaces the old one).
 */
export function toKeyed(changes: Iterable<Change>, key: KeyColumns): KeyedChange {
  const upserted: Row[] = [];
  const deleted: Row[] = [];
  for (const [row, diff] of changes) {
    if (diff > 0) for (let i = 0; i < diff; i++) upserted.push(row);
    else deleted.push(row);
  }
  const kept = new Set(upserted.map((row) => keyText(keyOf(row, key))));
  const removed: Row[] = [];
  for (const row of deleted) {
    const values = keyOf(row, key);
    const text = keyText(values);
    if (kept.has(text)) continue;
    kept.add(text);
    removed.push(values);
  }
  return { upserted, removed };
}

/**
 * The rows of a keyed view by key, beside its multiset: applying upserts and removals yields the
 * exact changes (old row out, new row in) that the multiset and a page's listeners need.
 */
export class KeyIndex {
  private readonly rows = new Map<string, Row>();

  constructor(readonly key: KeyColumns) {}

  /** Starts over from a whole state. */
  reset(rows: Iterable<Row>): void {
    this.rows.clear();
    for (const row of rows) this.rows.set(keyText(keyOf(row, this.key)), row);
  }

  /** Keeps the index in step with changes applied some other way (a seed or positional diff). */
  follow(changes: Iterable<Change>): void {
    for (const [row, diff] of changes) {
      const text = keyText(keyOf(row, this.key));
      if (diff > 0) this.rows.set(text, row);
      else if (rowKey(this.rows.get(text) ?? []) === rowKey(row)) this.rows.delete(text);
    }
  }

  /** The changes that `removed` keys then `upserted` rows make; an unchanged row makes none. */
  apply(upserted: readonly Row[], removed: readonly Row[]): Change[] {
    const changes: Change[] = [];
    for (const values of removed) {
      const text = keyText(values);
      const old = this.rows.get(text);
      if (old === undefined) continue;
      this.rows.delete(text);
      changes.push([old, -1]);
    }
    for (const row of upserted) {
      const text = keyText(keyOf(row, this.key));
      const old = this.rows.get(text);
      if (old !== undefined) {
        if (rowKey(old) === rowKey(row)) continue;
        changes.push([old, -1]);
      }
      this.rows.set(text, row);
      changes.push([row, 1]);
    }
    return changes;
  }
}
