/**
 * Writes the journal holds that LMDB does not have yet (journaled-kv.ts), per key its msgpack value
 * or null for a removal, the last write per key winning. Values are kept encoded: they are what the
 * journal record holds, and an operator that changes an object after storing it cannot change them.
 *
 * State entries (`s...` keys) are kept apart from the rest: the retained log reads its own key range
 * often (compaction, pruning) and should not scan every operator entry written in the last second.
 */
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

  *writes(): Iterable<JournalWrite> {
    yield* this.state;
    yield* this.other;
  }

  /** Pending writes with start <= key < end, unordered. */
  *inRange(start: string, end: string): Iterable<JournalWrite> {
    const state = start.startsWith(STATE_PREFIX) && end.startsWith(STATE_PREFIX);
    const other =
      !start.startsWith(STATE_PREFIX) && !end.startsWith(STATE_PREFIX) && !(start < 's' && end > 's');
    for (const map of state ? [this.state] : other ? [this.other] : [this.state, this.other])
      for (const write of map)
        if (compareKeys(write[0], start) >= 0 && compareKeys(write[0], end) < 0) yield write;
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

/** LMDB's entries (`stored`, in key order) with the sorted pending writes laid over them. */
export function* mergeSorted(
  overlay: Array<[string, Buffer | null]>,
  stored: Iterator<{ key: unknown; value: unknown }>,
  limit: number,
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
        yield { key: ahead[0], value: packr.unpack(ahead[1]) };
      }
    } else {
      n++;
      yield { key: key as string, value: next.value.value };
      next = stored.next();
    }
  }
}
