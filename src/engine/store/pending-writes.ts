/**
 * Writes the journal holds that LMDB does not have yet (journaled-kv.ts), per key its msgpack value
 * or null for a removal, the last write per key winning. Values are kept encoded: they are what the
 * journal record holds, and an operator that changes an object after storing it cannot change them.
 *
 * State entries (`s...` keys) are kept apart from the rest: the retained log reads its own key range
 * often (compaction, pruning) and should not scan every operator entry written in the last second.
 */
import type { RootDatabase } from 'lmdb';
import type { JournalWrite } from './journal-file.js';
import { packr } from './retained-format.js';

const STATE_PREFIX = 's';

export class PendingWrites {
  private readonly state = new Map<string, Buffer | null>();
  private readonly other = new Map<string, Buffer | null>();

  get size(): number {
    return this.state.size + this.other.size;
  }

  private mapOf(key: string): Map<string, Buffer | null> {
    return key.startsWith(STATE_PREFIX) ? this.state : this.other;
  }

  set(key: string, value: Buffer | null): void {
    this.mapOf(key).set(key, value);
  }

  /** The key's pending value, null for a removal, undefined when nothing is pending for it. */
  get(key: string): Buffer | null | undefined {
    return this.mapOf(key).get(key);
  }

  /**
   * Visits every pending write, the operators' state first. A callback, not an iterator: iterating
   * a map makes an entry array per key, and a checkpoint walks every key written in its second.
   */
  forEach(visit: (value: Buffer | null, key: string) => void): void {
    this.state.forEach(visit);
    this.other.forEach(visit);
  }

  /**
   * Pending writes with start <= key < end, unordered. Walked with `forEach`: iterating a map makes
   * an entry array per key, and the retained log's reads walk every pending write outside the
   * operators' state (most of what the live rate allocated in a compaction).
   */
  inRange(start: string, end: string): JournalWrite[] {
    const state = start.startsWith(STATE_PREFIX) && end.startsWith(STATE_PREFIX);
    const other =
      !start.startsWith(STATE_PREFIX) && !end.startsWith(STATE_PREFIX) && !(start < 's' && end > 's');
    const found: JournalWrite[] = [];
    const visit = (value: Buffer | null, key: string): void => {
      if (compareKeys(key, start) >= 0 && compareKeys(key, end) < 0) found.push([key, value]);
    };
    if (!other) this.state.forEach(visit);
    if (!state) this.other.forEach(visit);
    return found;
  }
}

/**
 * LMDB's order of string keys: their UTF-8 bytes, which is code point order (JavaScript's `<`
 * compares UTF-16 units and puts U+E000..U+FFFF after the astral planes).
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x - y;
    return (a.codePointAt(i) as number) - (b.codePointAt(i) as number);
  }
  return a.length - b.length;
}

/** LMDB's entries (`stored`, in key order) with the sorted pending writes laid over them (their values decoded when `values`). */
export function* mergeSorted(
  overlay: Array<[string, Buffer | null]>,
  stored: Iterator<{ key: unknown; value: unknown }>,
  limit: number,
  values = true,
): Iterable<{ key: string; value: unknown }> {
  let i = 0;
  let n = 0;
  for (let next = stored.next(); n < limit;) {
    const ahead = overlay[i];
    const key = next.done ? null : (next.value.key as string);
    if (ahead === undefined && key === null) return;
    const order = ahead === undefined ? 1 : key === null ? -1 : compareKeys(ahead[0], key);
    if (order <= 0) {
      i++;
      if (order === 0) next = stored.next();
      if (ahead && ahead[1] !== null) {
        n++;
        yield { key: ahead[0], value: values ? packr.unpack(ahead[1]) : undefined };
      }
    } else {
      n++;
      yield { key: key as string, value: next.value.value };
      next = stored.next();
    }
  }
}

export interface Range {
  start: string;
  end: string;
  limit?: number;
}

/**
 * LMDB's entries in [start, end) with the pending writes of `layers` merged in (a later layer's
 * write wins), in key order; with `values` false, LMDB's values are not read.
 */
export function* readMerged(
  db: RootDatabase,
  layers: Array<PendingWrites | null>,
  { start, end, limit = Infinity }: Range,
  values: boolean,
): Iterable<{ key: string; value: unknown }> {
  const merged = new Map<string, Buffer | null>();
  for (const layer of layers)
    if (layer) for (const [key, value] of layer.inRange(start, end)) merged.set(key, value);
  const read = (options: Range): Iterable<{ key: unknown; value: unknown }> =>
    values ? db.getRange(options) : keysOnly(db.getKeys(options));
  if (merged.size === 0) {
    for (const { key, value } of read({ start, end, limit })) yield { key: key as string, value };
    return;
  }
  const overlay = [...merged].sort((a, b) => compareKeys(a[0], b[0]));
  const stored = read({ start, end })[Symbol.iterator]();
  try {
    yield* mergeSorted(overlay, stored, limit, values);
  } finally {
    // A reader that stops early ends LMDB's read transaction too.
    stored.return?.();
  }
}

function* keysOnly(keys: Iterable<unknown>): Iterable<{ key: unknown; value: undefined }> {
  for (const key of keys) yield { key, value: undefined };
}
