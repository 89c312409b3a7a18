/**
 * ORDER BY ... LIMIT k [OFFSET n]: keeps its input multiset in an ordered index (sorted-list.ts),
 * so a change costs O(log n) whatever the input's size, and emits only the changes of the window
 * of rows offset+1 .. offset+k. Rows that compare equal on the ORDER BY keys are ordered by every
 * output column ascending, NULLs last (the documented tie-break), so the same input always gives
 * the same rows. Input rows may carry hidden columns after the visible ones (ORDER BY expressions
 * that are not output columns); the output drops them.
 */
import type { TopKStage } from '../../sql/planner/delta-plan.js';
import type { EvalContext, SqlType } from '../../sql/scalar/interface.js';
import { compareValues } from '../../sql/scalar/values.js';
import type { Batch, DeltaRow, RowChange, Snapshotting } from './batch.js';
import type { StateStore } from './interface.js';
import { exactKey } from './row-key.js';
import { SortedList } from './sorted-list.js';

export type TopKSpec = Omit<TopKStage, 'op'>;

interface Entry {
  row: DeltaRow;
  key: string;
  count: number;
}

type StoredEntry = [row: DeltaRow, count: number];

export class TopK implements Snapshotting {
  private readonly entries = new Map<string, Entry>();
  private readonly index: SortedList<Entry>;
  /** The current output: visible row key -> [visible row, count]. */
  private window = new Map<string, RowChange>();
  /** The last entry inside the window when the window is full: changes after it cannot enter. */
  private boundary: Entry | null = null;
  private readonly compare: (a: Entry, b: Entry) => number;

  constructor(
    readonly id: string,
    private readonly spec: TopKSpec,
    private readonly store: StateStore,
  ) {
    const compare = (this.compare = comparator(spec));
    const loaded: Entry[] = [];
    for (const [key, value] of store.entries(id)) {
      const [row, count] = value as StoredEntry;
      const entry = { row, key, count };
      this.entries.set(key, entry);
      if (count > 0) loaded.push(entry);
    }
    this.index = SortedList.fromSorted(compare, loaded.sort(compare));
    this.window = this.readWindow();
  }

  apply(input: Batch, _ctx: EvalContext): Batch {
    if (input.rows.length === 0) return { rows: [], errors: input.errors };
    const index = this.index;
    let affected = this.boundary === null;
    const touched = new Map<string, Entry>();
    for (const [row, diff] of input.rows) {
      const key = exactKey(row);
      let entry = this.entries.get(key);
      if (!entry) this.entries.set(key, (entry = { row, key, count: 0 }));
      const before = entry.count;
      entry.count += diff;
      if (before <= 0 && entry.count > 0) index.insert(entry);
      else if (before > 0 && entry.count <= 0) index.delete(entry);
      touched.set(key, entry);
      if (!affected && this.boundary && this.compare(entry, this.boundary) <= 0) affected = true;
    }
    for (const [key, entry] of touched) {
      if (entry.count === 0) {
        this.entries.delete(key);
        this.store.delete(this.id, key);
      } else {
        this.store.set(this.id, key, [entry.row, entry.count] satisfies StoredEntry);
      }
    }
    if (!affected) return { rows: [], errors: input.errors };
    const next = this.readWindow();
    const rows: RowChange[] = [];
    for (const [key, [row, count]] of next) {
      const diff = count - (this.window.get(key)?.[1] ?? 0);
      if (diff !== 0) rows.push([row, diff]);
    }
    for (const [key, [row, count]] of this.window) if (!next.has(key)) rows.push([row, -count]);
    this.window = next;
    return { rows, errors: input.errors };
  }

  /** Walks the index to the end of the window: O(offset + limit). */
  private readWindow(): Map<string, RowChange> {
    const { limit, offset, visible, types } = this.spec;
    const window = new Map<string, RowChange>();
    this.boundary = null;
    let skip = offset;
    let room = limit;
    if (room <= 0) return window;
    for (const entry of this.index) {
      let count = entry.count;
      const skipped = Math.min(skip, count);
      skip -= skipped;
      count -= skipped;
      if (count <= 0) continue;
      const taken = Math.min(room, count);
      room -= taken;
      const row = visible === types.length ? entry.row : entry.row.slice(0, visible);
      const key = visible === types.length ? entry.key : exactKey(row);
      const held = window.get(key);
      if (held) held[1] += taken;
      else window.set(key, [row, taken]);
      if (room === 0) {
        this.boundary = entry;
        break;
      }
    }
    return window;
  }

  *contents(): IterableIterator<RowChange> {
    yield* this.window.values();
  }
}

/** ORDER BY keys, then every visible column ascending NULLs last, then the rest: a total order. */
function comparator(spec: TopKSpec): (a: Entry, b: Entry) => number {
  const { keys, types } = spec;
  return (a, b) => {
    for (const k of keys) {
      const x = a.row[k.column] ?? null;
      const y = b.row[k.column] ?? null;
      if (x === null || y === null) {
        if (x === y) continue;
        return (x === null) === k.nullsFirst ? -1 : 1;
      }
      const c = compareValues(k.type, x, y);
      if (c !== 0) return k.descending ? -c : c;
    }
    for (let i = 0; i < types.length; i++) {
      const c = compareValues(types[i] as SqlType, a.row[i] ?? null, b.row[i] ?? null);
      if (c !== 0) return c;
    }
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  };
}
