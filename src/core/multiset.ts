/**
 * A view is a multiset: row -> count. Rows are compared by value (their JSON text), never by object
 * identity, so a deleted row removes exactly one equal row. No Node imports: the browser uses it too.
 */

import { stringifyJson } from './exact-json.js';

/** One row of a view: column values in the view's column order. */
export type Row = unknown[];

/** A change to a multiset: `diff` copies of `row` added (positive) or removed (negative). */
export type Change = [row: Row, diff: number];

export function rowKey(row: Row): string {
  return stringifyJson(row); // an int8 beyond 2^53 arrives as a BigInt
}

/**
 * A row held other than once (a count of 2, or a negative one from a broken stream). A row held
 * once, by far the most common, is its own entry in the map: no object per row.
 */
class Repeated {
  constructor(
    readonly row: Row,
    public count: number,
  ) {}
}

export class Multiset {
  private readonly entries = new Map<string, Row | Repeated>();
  private total = 0;

  /** Number of rows, counting duplicates. */
  get size(): number {
    return this.total;
  }

  /** Number of distinct rows. */
  get distinct(): number {
    return this.entries.size;
  }

  apply(row: Row, diff: number): void {
    if (diff !== 0) this.applyAt(rowKey(row), row, diff);
  }

  /** `apply` with the row's `rowKey` already known (its text, serialized once for the wire too). */
  applyAt(key: string, row: Row, diff: number): void {
    if (diff === 0) return;
    this.total += diff;
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.entries.set(key, diff === 1 ? row : new Repeated(row, diff));
      return;
    }
    // A negative count means a retraction arrived for a row we never saw: the stream is broken
    // upstream. Keep the arithmetic honest instead of hiding it; `valid` reports it.
    const held = entry instanceof Repeated;
    const count = (held ? entry.count : 1) + diff;
    // The row object kept is the first one given, whatever its count does after.
    const first = held ? entry.row : entry;
    if (count === 0) this.entries.delete(key);
    else if (count === 1) this.entries.set(key, first);
    else if (held) entry.count = count;
    else this.entries.set(key, new Repeated(first, count));
  }

  applyAll(changes: Iterable<Change>): void {
    for (const [row, diff] of changes) this.apply(row, diff);
  }

  /** `applyAll` with each change's `rowKey` already known, at the same index. */
  applyAllAt(changes: readonly Change[], keys: readonly string[]): void {
    for (let i = 0; i < changes.length; i++) {
      const [row, diff] = changes[i] as Change;
      this.applyAt(keys[i] as string, row, diff);
    }
  }

  count(row: Row): number {
    const entry = this.entries.get(rowKey(row));
    return entry === undefined ? 0 : entry instanceof Repeated ? entry.count : 1;
  }

  /** False when some row has a negative count. */
  get valid(): boolean {
    for (const entry of this.entries.values()) if (entry instanceof Repeated && entry.count < 0) return false;
    return true;
  }

  /** Distinct rows with their counts. */
  *counted(): IterableIterator<Change> {
    for (const entry of this.entries.values())
      yield entry instanceof Repeated ? [entry.row, entry.count] : [entry, 1];
  }

  /** Every row as many times as it occurs. */
  rows(): Row[] {
    const out: Row[] = [];
    for (const entry of this.entries.values()) {
      if (!(entry instanceof Repeated)) out.push(entry);
      else for (let i = 0; i < entry.count; i++) out.push(entry.row);
    }
    return out;
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }
}

/** Changes this few are consolidated by comparing rows pairwise: no row is serialized. */
const PAIRWISE = 8;

/** Sums the diffs of equal rows and drops rows whose diffs cancel out. */
export function consolidate(changes: Iterable<Change>): Change[] {
  if (Array.isArray(changes) && changes.length <= PAIRWISE) return consolidatePairwise(changes);
  const sums = new Map<string, Change>();
  for (const [row, diff] of changes) {
    const key = rowKey(row);
    const entry = sums.get(key);
    if (entry) entry[1] += diff;
    else sums.set(key, [row, diff]);
  }
  return [...sums.values()].filter(([, diff]) => diff !== 0);
}

/** The changes that turn multiset `before` into `after`. */
export function difference(before: Multiset, after: Multiset): Change[] {
  const changes: Change[] = [];
  for (const [row, count] of after.counted()) {
    const diff = count - before.count(row);
    if (diff !== 0) changes.push([row, diff]);
  }
  for (const [row, count] of before.counted()) {
    if (after.count(row) === 0) changes.push([row, -count]);
  }
  return changes;
}

/** `consolidate` for a few changes, in the same order and with the same rows as the keyed version. */
function consolidatePairwise(changes: readonly Change[]): Change[] {
  const out: Change[] = [];
  next: for (const [row, diff] of changes) {
    for (const entry of out) {
      if (sameRow(entry[0], row)) {
        entry[1] += diff;
        continue next;
      }
    }
    out.push([row, diff]);
  }
  return out.filter(([, diff]) => diff !== 0);
}

/** Whether two rows have the same `rowKey`, without serializing them in the common cases. */
function sameRow(a: Row, b: Row): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    // Distinct strings, booleans, bigints and finite numbers of one type always serialize
    // differently; anything else (objects, NaN, mixed types) is compared as its JSON text.
    const t = typeof x;
    if (t === typeof y && (t === 'string' || t === 'boolean' || t === 'bigint')) return false;
    if (t === 'number' && typeof y === 'number' && Number.isFinite(x) && Number.isFinite(y)) return false;
    return rowKey(a) === rowKey(b);
  }
  return true;
}
