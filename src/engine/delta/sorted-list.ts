/**
 * An ordered collection with O(log n) search and cheap inserts and deletes at any size: items sit
 * in chunks of bounded length, found by binary search over the chunks' last items and then within
 * the chunk (the layout of Python's sortedcontainers). Inserting moves at most one chunk's worth
 * of pointers, instead of the whole array a single sorted array would move; reading the first k
 * items is a walk over the first chunks. Top-k and min/max keep their ordered indexes here.
 */
/** Most items in a chunk: an insert or delete moves half of one on average. */
const CHUNK = 128;

export interface Location {
  chunk: number;
  index: number;
  found: boolean;
}

export class SortedList<T> {
  private chunks: T[][] = [];
  private count = 0;
  private readonly location: Location = { chunk: 0, index: 0, found: false };

  constructor(private readonly compare: (a: T, b: T) => number) {}

  /** Builds from items already in order (a rebuild at start), without comparing them again. */
  static fromSorted<T>(compare: (a: T, b: T) => number, items: T[]): SortedList<T> {
    const list = new SortedList(compare);
    list.extend(items);
    return list;
  }

  /** Appends items already in order, every one after the current last item. */
  extend(items: T[]): void {
    for (let i = 0; i < items.length; i += CHUNK / 2) this.chunks.push(items.slice(i, i + CHUNK / 2));
    this.count += items.length;
  }

  /** Removes the items from position `n` on and returns them, in order. */
  splitOff(n: number): T[] {
    const removed: T[] = [];
    const chunks = this.chunks;
    let seen = 0;
    let c = 0;
    while (c < chunks.length && seen + (chunks[c] as T[]).length <= n) seen += (chunks[c++] as T[]).length;
    if (c === chunks.length) return removed;
    const first = chunks[c] as T[];
    const keep = n - seen;
    for (let i = keep; i < first.length; i++) removed.push(first[i] as T);
    for (let d = c + 1; d < chunks.length; d++) for (const item of chunks[d] as T[]) removed.push(item);
    first.length = keep;
    chunks.length = keep === 0 ? c : c + 1;
    this.count -= removed.length;
    return removed;
  }

  get size(): number {
    return this.count;
  }

  first(): T | undefined {
    return this.chunks[0]?.[0];
  }

  last(): T | undefined {
    const chunk = this.chunks[this.chunks.length - 1];
    return chunk?.[chunk.length - 1];
  }

  /** Index of the first chunk whose last item is >= item (the chunk that holds or would hold it). */
  private chunkFor(item: T): number {
    let low = 0;
    let high = this.chunks.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      const chunk = this.chunks[mid] as T[];
      if (this.compare(chunk[chunk.length - 1] as T, item) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private indexIn(chunk: T[], item: T): number {
    let low = 0;
    let high = chunk.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.compare(chunk[mid] as T, item) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /**
   * Where `item` is or would go: its chunk and index, and whether an equal item is there. Valid
   * until the list next changes; `insertAt` and `removeAt` then cost no second search.
   */
  locate(item: T): Location {
    // One object per list, reused: a location is read before the next change anyway.
    const location = this.location;
    if (this.chunks.length === 0) {
      location.chunk = location.index = 0;
      location.found = false;
      return location;
    }
    const c = this.chunkFor(item);
    const chunk = this.chunks[c] as T[];
    const i = this.indexIn(chunk, item);
    location.chunk = c;
    location.index = i;
    location.found = i < chunk.length && this.compare(chunk[i] as T, item) === 0;
    return location;
  }

  at(location: Location): T | undefined {
    return this.chunks[location.chunk]?.[location.index];
  }

  insertAt(location: Location, item: T): void {
    this.count += 1;
    const chunk = this.chunks[location.chunk];
    if (!chunk) {
      this.chunks.push([item]);
      return;
    }
    insertInto(chunk, location.index, item);
    if (chunk.length > CHUNK) this.split(location.chunk);
  }

  removeAt(location: Location): void {
    const chunk = this.chunks[location.chunk];
    if (!chunk || location.index >= chunk.length) return;
    removeFrom(chunk, location.index);
    this.count -= 1;
    if (chunk.length === 0) this.chunks.splice(location.chunk, 1);
  }

  /** Halves a full chunk. Copies (slice) rather than splice: V8 handles the copies faster later. */
  private split(c: number): void {
    const chunk = this.chunks[c] as T[];
    this.chunks.splice(c + 1, 0, chunk.slice(CHUNK / 2));
    this.chunks[c] = chunk.slice(0, CHUNK / 2);
  }

  insert(item: T): void {
    this.count += 1;
    if (this.chunks.length === 0) {
      this.chunks.push([item]);
      return;
    }
    const c = this.chunkFor(item);
    const chunk = this.chunks[c] as T[];
    insertInto(chunk, this.indexIn(chunk, item), item);
    if (chunk.length > CHUNK) this.split(c);
  }

  /** Removes the item that compares equal to `item`; false when there is none. */
  delete(item: T): boolean {
    if (this.chunks.length === 0) return false;
    const c = this.chunkFor(item);
    const chunk = this.chunks[c] as T[];
    const i = this.indexIn(chunk, item);
    if (i >= chunk.length || this.compare(chunk[i] as T, item) !== 0) return false;
    removeFrom(chunk, i);
    this.count -= 1;
    if (chunk.length === 0) this.chunks.splice(c, 1);
    return true;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (const chunk of this.chunks) yield* chunk;
  }
}

/*
 * Moving the items by hand rather than with `splice`, which allocates an array of the removed
 * items on every call: these run on every change of a top-k's or min/max's input.
 */
function insertInto<T>(chunk: T[], index: number, item: T): void {
  let i = chunk.length;
  chunk.push(item);
  for (; i > index; i--) chunk[i] = chunk[i - 1] as T;
  chunk[index] = item;
}

function removeFrom<T>(chunk: T[], index: number): void {
  const last = chunk.length - 1;
  for (let i = index; i < last; i++) chunk[i] = chunk[i + 1] as T;
  chunk.pop();
}
