/**
 * A top-k's input multiset, in two parts. The head holds the first entries in order (a SortedList);
 * the rest sit unordered in a hash map by row key, every one of them after a threshold entry that
 * every head entry is at or before. A change compares its row with the threshold once: after it
 * (most changes: a user's count going from 3 to 4 far from the top) it is one map operation, instead
 * of two binary searches whose every step compares rows. The head keeps between `headSize` and
 * twice as many entries: past that its end moves to the map; when a walk of the head runs out of
 * rows before the window is full, the next entries are selected from the map (refill).
 */
import type { DeltaRow } from './batch.js';
import type { Value } from '../../sql/scalar/interface.js';
import { SortedList } from './sorted-list.js';

export interface TopKEntry {
  row: DeltaRow;
  /** The row's exactKey (row-key.ts). */
  key: string;
  /** May be negative for a while: a retraction can come before its insertion in a transaction. */
  count: number;
  /** The first ORDER BY value, kept in the entry: most comparisons end here, without reading the row. */
  first: Value;
}

export type EntryOrder = (a: TopKEntry, b: TopKEntry) => number;

export class TopKIndex {
  private head: SortedList<TopKEntry>;
  private rest = new Map<string, TopKEntry>();
  /** Head entries compare <= it, entries of `rest` > it; null while `rest` is empty. */
  private threshold: TopKEntry | null = null;
  /** Reused to search for a row: only a row that is new gets an entry of its own. */
  private readonly probe: TopKEntry = { row: [], key: '', count: 0, first: null };

  constructor(
    private readonly compare: EntryOrder,
    /** The column of the first ORDER BY key, or -1 without one. */
    private readonly firstColumn: number,
    private readonly headSize: number,
  ) {
    this.head = new SortedList(compare);
  }

  entry(row: DeltaRow, key: string, count: number): TopKEntry {
    const c = this.firstColumn;
    return { row, key, count, first: c >= 0 ? (row[c] ?? null) : null };
  }

  /** Replaces the contents with `entries` (any order, one per key): one selection and one sort. */
  load(entries: TopKEntry[]): void {
    this.rest = new Map();
    this.threshold = null;
    this.head = new SortedList(this.compare);
    if (entries.length > 2 * this.headSize) {
      selectSmallest(entries, this.headSize, this.compare);
      for (let i = this.headSize; i < entries.length; i++) {
        const entry = entries[i] as TopKEntry;
        this.rest.set(entry.key, entry);
      }
      entries.length = this.headSize;
    }
    entries.sort(this.compare);
    this.head.extend(entries);
    if (this.rest.size > 0) this.threshold = this.head.last() ?? null;
  }

  /** Adds `diff` copies of `row` (exactKey `key`); returns its entry, whose count 0 means gone. */
  add(row: DeltaRow, key: string, diff: number): TopKEntry {
    const probe = this.probe;
    probe.row = row;
    probe.key = key;
    probe.first = this.firstColumn >= 0 ? (row[this.firstColumn] ?? null) : null;
    if (this.threshold !== null && this.compare(probe, this.threshold) > 0) {
      let entry = this.rest.get(key);
      if (!entry) this.rest.set(key, (entry = this.entry(row, key, 0)));
      entry.count += diff;
      if (entry.count === 0) this.rest.delete(key);
      return entry;
    }
    const head = this.head;
    const at = head.locate(probe);
    let entry = at.found ? head.at(at) : undefined;
    if (entry) {
      entry.count += diff;
      if (entry.count === 0) head.removeAt(at);
      return entry;
    }
    head.insertAt(at, (entry = this.entry(row, key, diff)));
    if (head.size > 2 * this.headSize) this.trim();
    return entry;
  }

  /** The head's entries in order. */
  [Symbol.iterator](): IterableIterator<TopKEntry> {
    return this.head[Symbol.iterator]();
  }

  /** Every entry, in no particular order. */
  *all(): IterableIterator<TopKEntry> {
    yield* this.head;
    yield* this.rest.values();
  }

  /**
   * Moves the next entries in order from the map to the end of the head; false when the map is
   * empty (the head holds everything).
   */
  refill(): boolean {
    if (this.rest.size === 0) return false;
    const items = [...this.rest.values()];
    if (items.length > this.headSize) {
      selectSmallest(items, this.headSize, this.compare);
      items.length = this.headSize;
    }
    items.sort(this.compare);
    for (const entry of items) this.rest.delete(entry.key);
    this.head.extend(items);
    this.threshold = this.rest.size > 0 ? (items[items.length - 1] as TopKEntry) : null;
    return true;
  }

  /** Moves the head's entries past `headSize` to the map. */
  private trim(): void {
    const moved = this.head.splitOff(this.headSize);
    for (const entry of moved) this.rest.set(entry.key, entry);
    this.threshold = this.head.last() ?? null;
  }
}

/**
 * Reorders `items` so that the `n` first in order come first, in no particular order (Hoare's
 * quickselect): a refill costs a pass over the map, not a sort of it.
 */
function selectSmallest<T>(items: T[], n: number, compare: (a: T, b: T) => number): void {
  const k = n - 1;
  let lo = 0;
  let hi = items.length - 1;
  while (lo < hi) {
    const pivot = items[(lo + hi) >> 1] as T;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (compare(items[i] as T, pivot) < 0) i++;
      while (compare(items[j] as T, pivot) > 0) j--;
      if (i <= j) {
        const t = items[i] as T;
        items[i++] = items[j] as T;
        items[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}
