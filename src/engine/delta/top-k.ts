/**
 * ORDER BY ... LIMIT k [OFFSET n]: keeps its input multiset ordered where the window can reach and
 * hashed beyond (top-k-index.ts), so a change costs O(1) or O(log k) whatever the input's size
 * (a refill, when the window runs short, is a pass over the rest), and emits only the changes of
 * the window of rows offset+1 .. offset+k. Rows that compare equal on the ORDER BY keys are ordered by every
 * output column ascending, NULLs last (the documented tie-break), so the same input always gives
 * the same rows. Input rows may carry hidden columns after the visible ones (ORDER BY expressions
 * that are not output columns); the output drops them.
 */
import type { TopKStage } from '../../sql/planner/delta-plan.js';
import type { EvalContext, SqlType, Value } from '../../sql/scalar/interface.js';
import { compareValues } from '../../sql/scalar/values.js';
import type { Batch, RowChange, Snapshotting } from './batch.js';
import type { StateStore } from './interface.js';
import { NO_STORE } from './memory-store.js';
import { exactKey } from './row-key.js';
import { TopKIndex, type TopKEntry as Entry } from './top-k-index.js';

export type TopKSpec = Omit<TopKStage, 'op'>;

type StoredEntry = [row: Entry['row'], count: number];

/**
 * Entries the index keeps in order (at least; twice the window's end when larger): enough that a
 * row leaving the window rarely empties the ordered part (a refill is a pass over the rest), few
 * enough that the busiest rows, which live there, cost a short search and a short move. Measured
 * on the recordings (BENCHMARKS.md, "Delta operators, third pass"): 16 beat 32 and 64.
 */
const HEAD_ENTRIES = 16;

export class TopK implements Snapshotting {
  /** The input multiset: ordered where the window may reach, hashed beyond (top-k-index.ts). */
  private readonly index: TopKIndex;
  /** The current output: visible row key -> [visible row, count]. */
  private window = new Map<string, RowChange>();
  /** The last entry inside the window when the window is full: changes after it cannot enter. */
  private boundary: Entry | null = null;
  private readonly compare: (a: Entry, b: Entry) => number;

  /** `headSize`: entries kept in order (tests make it small, to reach the refills). */
  constructor(
    readonly id: string,
    private readonly spec: TopKSpec,
    private readonly store: StateStore,
    headSize = Math.max(HEAD_ENTRIES, 2 * (spec.offset + spec.limit)),
  ) {
    this.compare = comparator(spec);
    this.index = new TopKIndex(this.compare, spec.keys[0]?.column ?? -1, headSize);
    const loaded: Entry[] = [];
    for (const [key, value] of store.entries(id)) {
      const [row, count] = value as StoredEntry;
      loaded.push(this.index.entry(row, key, count));
    }
    this.index.load(loaded);
    this.window = this.readWindow();
  }

  /** Builds the index from a whole input at once (a start seeded from the view it reads). */
  seed(rows: Iterable<RowChange>): void {
    const entries = new Map<string, Entry>();
    for (const [row, diff, known] of rows) {
      const key = known ?? exactKey(row);
      const entry = entries.get(key);
      if (entry) entry.count += diff;
      else entries.set(key, this.index.entry(row, key, diff));
    }
    this.index.load([...entries.values()].filter((e) => e.count !== 0));
    this.window = this.readWindow();
  }

  apply(input: Batch, _ctx: EvalContext): Batch {
    // LIMIT 0 reads nothing in Postgres: its input is never evaluated, so it never fails either.
    if (this.spec.limit === 0) return { rows: [], errors: [] };
    if (input.rows.length === 0) return { rows: [], errors: input.errors };
    const { index, boundary, store, id } = this;
    const persisted = store !== NO_STORE;
    let affected = boundary === null;
    for (const [row, diff, known] of input.rows) {
      const entry = index.add(row, known ?? exactKey(row), diff);
      // A seeded top-k writes nothing: skip building the entries it would write.
      if (persisted) {
        if (entry.count === 0) store.delete(id, entry.key);
        else store.set(id, entry.key, [entry.row, entry.count] satisfies StoredEntry);
      }
      if (!affected && boundary && this.compare(entry, boundary) <= 0) affected = true;
    }
    if (!affected) return { rows: [], errors: input.errors };
    const next = this.readWindow();
    const rows: RowChange[] = [];
    for (const [key, [row, count]] of next) {
      const diff = count - (this.window.get(key)?.[1] ?? 0);
      if (diff !== 0) rows.push([row, diff, key]);
    }
    for (const [key, [row, count]] of this.window) if (!next.has(key)) rows.push([row, -count, key]);
    this.window = next;
    return { rows, errors: input.errors };
  }

  /** Walks the index to the end of the window: O(offset + limit), refilling its ordered part if short. */
  private readWindow(): Map<string, RowChange> {
    if (this.spec.limit <= 0) return this.walkWindow();
    for (;;) {
      const window = this.walkWindow();
      if (this.boundary !== null || !this.index.refill()) return window;
    }
  }

  private walkWindow(): Map<string, RowChange> {
    const { limit, offset, visible, types } = this.spec;
    const window = new Map<string, RowChange>();
    this.boundary = null;
    let skip = offset;
    let room = limit;
    if (room <= 0) return window;
    for (const entry of this.index) {
      let count = entry.count;
      if (count <= 0) continue;
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
      else window.set(key, [row, taken, key]);
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
  const keys = spec.keys.map((k) => ({ ...k, compare: valueComparator(k.type) }));
  const ties = spec.types.map(valueComparator);
  return (a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as (typeof keys)[number];
      const x = i === 0 ? a.first : (a.row[k.column] ?? null);
      const y = i === 0 ? b.first : (b.row[k.column] ?? null);
      if (x === null || y === null) {
        if (x === y) continue;
        return (x === null) === k.nullsFirst ? -1 : 1;
      }
      const c = k.compare(x, y);
      if (c !== 0) return k.descending ? -c : c;
    }
    for (let i = 0; i < ties.length; i++) {
      const x = a.row[i] ?? null;
      const y = b.row[i] ?? null;
      if (x === y) continue;
      if (x === null || y === null) return x === null ? 1 : -1;
      const c = (ties[i] as (x: Value, y: Value) => number)(x, y);
      if (c !== 0) return c;
    }
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  };
}

/**
 * compareValues for one type, with a shortcut for integers held as JS numbers (exact below 2^53,
 * where `<` is Postgres's order). Top-k compares on every index step, so this is its hot loop.
 */
function valueComparator(type: SqlType): (x: Value, y: Value) => number {
  if (type === 'smallint' || type === 'integer' || type === 'bigint') {
    return (x, y) =>
      typeof x === 'number' && typeof y === 'number'
        ? x < y
          ? -1
          : x > y
            ? 1
            : 0
        : compareValues(type, x, y);
  }
  return (x, y) => compareValues(type, x, y);
}
