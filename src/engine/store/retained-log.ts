/**
 * The retained event log (`--retain`): every ingest transaction's input as it arrived (the raw
 * events, every field; or the input changes of a change source), kept in the engine's store (LMDB
 * behind its journal, journaled-kv.ts) so that a view added or changed later is computed from history
 * (recompute.ts).
 *
 * A transaction's entry is written by the store's commit, in the same store transaction as the
 * operator state and the sources' positions: an entry is retained exactly when its effects are
 * committed. A large transaction (DIRECT_EVENTS events or more: a replay, a burst) is compressed on
 * its own, off the main thread while the operators run, and written as a chunk. Small ones (a live
 * stream commits one or two events per transaction) would compress poorly alone: they are kept as
 * msgpack "tail" entries and compacted later, off the ingest path, into brotli-compressed chunks of up
 * to CHUNK_EVENTS events spanning at most CHUNK_SPAN_MS, each compaction one store transaction (tail
 * entries out, chunk in). Chunks never overlap in time. Pruning drops whole chunks older than the
 * retention, a few per store transaction, while ingest goes on. Every write goes through the
 * journal in order with the commits, so reads (compaction, `entries`) see what is not yet in LMDB.
 *
 * Keys: `r\x1ft\x1f<ts>` tail entry, `r\x1fc\x1f<last ts>` chunk, `r\x1fs` bookkeeping (`LogStats`). `since`
 * says from which timestamp on every transaction is in the log: 0 while nothing was ever dropped
 * or missed, which is what a view that needs every event asks for.
 */
import { brotliDecompressSync } from 'node:zlib';
import type { Timestamp } from '../types.js';
import type { JournaledKv } from './journaled-kv.js';
import {
  BROTLI,
  CHUNK_EVENTS,
  CHUNK_SPAN_MS,
  COMPACT_AT_EVENTS,
  frame,
  packr,
  PRUNE_SLICE,
  stamp,
  unframe,
  type Chunk,
  type RetainedEntry,
} from './retained-format.js';
import { compressPieces } from './retained-frame.js';
import { RetainedQueue, type Queued } from './retained-queue.js';

export type { RetainedEntry } from './retained-format.js';

export interface LogStats {
  /** Every transaction at or after `since` is in the log. */
  since: Timestamp;
  /** Bytes of the stored log values (compressed chunks and tail entries). */
  bytes: number;
  /** Events and changes in the log. */
  events: number;
  /** Timestamp of the oldest retained transaction, or null for an empty log. */
  oldest: Timestamp | null;
}

const TAIL = 'r\x1ft\x1f';
const CHUNK = 'r\x1fc\x1f';
const STATS = 'r\x1fs';

export class RetainedLog {
  private stats: LogStats;
  /** Tail entries not yet compacted (counted from the store at open). */
  private tailEvents = 0;
  /**
   * The oldest tail entry's timestamp (null: no tail), kept here so that the check after every
   * commit (`compactionDue`) reads nothing from LMDB; read again only after a compaction or a clear.
   */
  private oldestTail: Timestamp | null = null;
  private readonly queue: RetainedQueue;
  private work: Promise<void> = Promise.resolve();

  /** `enabled`: false with `--retain 0` (commits then mark the log incomplete). */
  constructor(
    private readonly db: JournaledKv,
    readonly enabled: boolean,
    created: boolean,
    lastTimestamp: Timestamp,
  ) {
    this.queue = new RetainedQueue(enabled);
    const stored = db.get(STATS) as LogStats | undefined;
    // A data directory made before the log existed has none of its transactions.
    this.stats = stored ?? { since: created ? 0 : lastTimestamp + 1, bytes: 0, events: 0, oldest: null };
    for (const { value } of db.getRange({ start: TAIL, end: 'r\x1ft\x20' }))
      this.tailEvents += (value as Buffer).readUInt32LE(0);
    this.oldestTail = this.firstTail();
    if (!enabled && this.stats.events > 0) {
      // From now on the log is being emptied: nothing may be recomputed from it.
      this.stats = { ...this.stats, since: Math.max(this.stats.since, lastTimestamp + 1) };
      this.work = this.clear(lastTimestamp).catch(() => undefined);
    }
  }

  get status(): LogStats {
    return { ...this.stats };
  }

  /** Queues a transaction's input for its commit (retained-queue.ts); the commit awaits the promise. */
  retain(entry: RetainedEntry, timestamp: Timestamp): Promise<void> | undefined {
    return this.queue.retain(entry, timestamp);
  }

  /** What `retain` queued, taken by a commit when it starts. */
  take(): Queued {
    return this.queue.take();
  }

  /** Inside the commit's store transaction: the taken entry under the transaction's timestamp. */
  write(timestamp: Timestamp, { pending, missed }: Queued): void {
    const s = this.stats;
    if (pending) {
      let bytes: number;
      if ('chunk' in pending) {
        const chunk = { ...pending.chunk, first: timestamp, last: timestamp };
        this.db.put(`${CHUNK}${stamp(timestamp)}`, chunk);
        bytes = chunk.z.length;
      } else {
        bytes = this.db.putTail(`${TAIL}${stamp(timestamp)}`, pending.events, pending.tail);
        this.tailEvents += pending.events;
        this.oldestTail ??= timestamp;
      }
      // Changed in place: `status` hands out copies, and the put encodes it at once.
      s.bytes += bytes;
      s.events += pending.events;
      s.oldest ??= timestamp;
    } else if (missed) {
      // Input that is not retained (`--retain 0`): the log is complete only after it.
      s.since = timestamp + 1;
    } else return;
    this.db.put(STATS, s);
  }

  /** With retention off, what an earlier run retained is dropped (a slice at a time). */
  private async clear(lastTimestamp: Timestamp): Promise<void> {
    for (;;) {
      const keys = [...this.db.getKeys({ start: TAIL, end: 'r\x1ft\x20', limit: 256 })];
      for (const key of this.db.getKeys({ start: CHUNK, end: 'r\x1fc\x20', limit: PRUNE_SLICE }))
        keys.push(key);
      if (keys.length === 0) break;
      await this.db.transaction(() => {
        for (const key of keys) this.db.remove(key);
      });
    }
    await this.db.transaction(() => {
      this.stats = {
        since: Math.max(this.stats.since, lastTimestamp + 1),
        bytes: 0,
        events: 0,
        oldest: null,
      };
      this.db.put(STATS, this.stats);
    });
    this.tailEvents = 0;
    this.oldestTail = null;
  }

  /** Whether tail entries wait for compaction (enough events, or the oldest is old enough). */
  compactionDue(now: Timestamp): boolean {
    if (this.tailEvents >= COMPACT_AT_EVENTS) return true;
    return this.oldestTail !== null && now - this.oldestTail >= CHUNK_SPAN_MS;
  }

  private firstTail(): Timestamp | null {
    for (const key of this.db.getKeys({ start: TAIL, end: 'r\x1ft\x20', limit: 1 }))
      return Number(key.slice(TAIL.length));
    return null;
  }

  /**
   * Compacts the tail into chunks and drops chunks wholly older than `cutoff` (null: keep all), one
   * run at a time; resolves when done. `final`: compact even a short tail (before a recompute).
   */
  maintain(now: Timestamp, cutoff: Timestamp | null, final = false): Promise<void> {
    const run = this.work.then(async () => {
      while (final ? this.tailEvents > 0 : this.compactionDue(now)) if (!(await this.compactOnce())) break;
      if (cutoff !== null) await this.prune(cutoff);
    });
    this.work = run.catch(() => undefined);
    return run;
  }

  /**
   * One chunk from the oldest tail entries (up to CHUNK_EVENTS, CHUNK_SPAN_MS, and never across a
   * transaction compressed on its own); false when there was nothing to compact.
   */
  private async compactOnce(): Promise<boolean> {
    const taken: Array<[key: string, ts: Timestamp, value: Buffer]> = [];
    let events = 0;
    let first: Timestamp | null = null;
    // The first chunk after the oldest tail entry: the chunk may not reach past it.
    let barrier: string | null = null;
    for (const { key, value } of this.db.getRange({ start: TAIL, end: 'r\x1ft\x20' })) {
      const ts = Number(key.slice(TAIL.length));
      const n = (value as Buffer).readUInt32LE(0);
      if (first === null) {
        first = ts;
        barrier = this.chunkFrom(first);
      }
      if (
        taken.length > 0 &&
        (events + n > CHUNK_EVENTS ||
          ts - first >= CHUNK_SPAN_MS ||
          (barrier !== null && barrier < `${CHUNK}${stamp(ts)}`))
      )
        break;
      taken.push([key, ts, value as Buffer]);
      events += n;
    }
    const last = taken.at(-1);
    if (!last || first === null) return false;
    const z = await compressPieces([frame(taken.map(([, ts, value]) => [ts, value.subarray(4)]))], BROTLI);
    const chunk: Chunk = { first, last: last[1], events, z };
    const tailBytes = taken.reduce((sum, t) => sum + t[2].length, 0);
    await this.db.transaction(() => {
      for (const [key] of taken) this.db.remove(key);
      this.db.put(`${CHUNK}${stamp(chunk.last)}`, chunk);
      const s = this.stats;
      this.stats = { ...s, bytes: s.bytes - tailBytes + z.length };
      this.db.put(STATS, this.stats);
    });
    this.tailEvents -= events;
    this.oldestTail = this.firstTail();
    return true;
  }

  /** The first chunk's key at or after `from`, or null: once per compaction, not per tail entry. */
  private chunkFrom(from: Timestamp): string | null {
    for (const key of this.db.getKeys({ start: `${CHUNK}${stamp(from)}`, end: 'r\x1fc\x20', limit: 1 }))
      return key;
    return null;
  }

  /** Drops chunks whose newest transaction is older than `cutoff`, a slice per store transaction. */
  private async prune(cutoff: Timestamp): Promise<void> {
    for (;;) {
      const doomed: Array<[string, Chunk]> = [];
      for (const { key, value } of this.db.getRange({
        start: CHUNK,
        end: `${CHUNK}${stamp(cutoff)}`,
        limit: PRUNE_SLICE,
      }))
        doomed.push([key, value as Chunk]);
      if (doomed.length === 0) return;
      await this.db.transaction(() => {
        let bytes = 0;
        let events = 0;
        for (const [key, chunk] of doomed) {
          this.db.remove(key);
          bytes += chunk.z.length;
          events += chunk.events;
        }
        const s = this.stats;
        const lastDropped = (doomed.at(-1) as [string, Chunk])[1].last;
        this.stats = {
          since: Math.max(s.since, lastDropped + 1),
          bytes: s.bytes - bytes,
          events: s.events - events,
          oldest: this.oldestAfter(lastDropped),
        };
        this.db.put(STATS, this.stats);
      });
    }
  }

  private oldestAfter(ts: Timestamp): Timestamp | null {
    let oldest = this.firstTail();
    for (const { value } of this.db.getRange({
      start: `${CHUNK}${stamp(ts + 1)}`,
      end: 'r\x1fc\x20',
      limit: 1,
    }))
      oldest = Math.min(oldest ?? Infinity, (value as Chunk).first);
    return oldest;
  }

  /** Every retained transaction in time order (chunks and tail entries interleave). */
  *entries(): Iterable<[Timestamp, RetainedEntry]> {
    const tail = this.db.getRange({ start: TAIL, end: 'r\x1ft\x20' })[Symbol.iterator]();
    let next = tail.next();
    const tailUpTo = function* (ts: Timestamp): Iterable<[Timestamp, RetainedEntry]> {
      while (!next.done && Number(next.value.key.slice(TAIL.length)) < ts) {
        const value = next.value.value as Buffer;
        yield [Number(next.value.key.slice(TAIL.length)), packr.unpack(value.subarray(4)) as RetainedEntry];
        next = tail.next();
      }
    };
    for (const { value } of this.db.getRange({ start: CHUNK, end: 'r\x1fc\x20' })) {
      const chunk = value as Chunk;
      yield* tailUpTo(chunk.first);
      yield* unframe(brotliDecompressSync(chunk.z));
    }
    yield* tailUpTo(Infinity);
  }

  /** Resolves once the maintenance in progress has ended. */
  idle(): Promise<void> {
    return this.work;
  }
}
