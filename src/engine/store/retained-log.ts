/**
 * The retained event log (`--retain`): every ingest transaction's input as it arrived (the raw
 * events, every field; or the input changes of a change source), kept in the engine's LMDB
 * environment so that a view added or changed later is computed from history (recompute.ts).
 *
 * A transaction's entry is written by the store's commit, in the same LMDB transaction as the
 * operator state and the sources' positions: an entry is retained exactly when its effects are
 * committed. Written one transaction at a time, entries would compress poorly (a live stream commits
 * one or two events per transaction), so they are first kept as msgpack "tail" entries and then, off
 * the ingest path, compacted into brotli-compressed chunks of up to CHUNK_EVENTS events spanning at
 * most CHUNK_SPAN_MS, each compaction one LMDB transaction (tail entries out, chunk in). Pruning
 * drops whole chunks older than the retention, a few per LMDB transaction, while ingest goes on.
 *
 * Keys: `r\x1ft\x1f<ts>` tail entry, `r\x1fc\x1f<last ts>` chunk, `r\x1fs` bookkeeping (`LogStats`). `since`
 * says from which timestamp on every transaction is in the log: 0 while nothing was ever dropped
 * or missed, which is what a view that needs every event asks for.
 */
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompressSync, constants } from 'node:zlib';
import type { RootDatabase } from 'lmdb';
import { Packr } from 'msgpackr';
import type { InputChange } from '../delta/interface.js';
import type { Timestamp } from '../types.js';

/** One transaction's input: raw events of the input table (`e`), or changes of any table (`c`). */
export interface RetainedEntry {
  e?: Array<Record<string, unknown>>;
  c?: InputChange[];
}

interface Chunk {
  first: Timestamp;
  last: Timestamp;
  events: number;
  /** brotli(msgpack(Array<[timestamp, RetainedEntry]>)) */
  z: Uint8Array;
}

interface Queued {
  pending: { packed: Buffer; events: number } | null;
  missed: boolean;
}

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

/** Most events in one compressed chunk, and the longest time span one chunk covers. */
export const CHUNK_EVENTS = 1024;
export const CHUNK_SPAN_MS = 60_000;
/** Tail entries are compacted once this many events wait (or the oldest is CHUNK_SPAN_MS old). */
const COMPACT_AT_EVENTS = CHUNK_EVENTS;
/** Chunks dropped per LMDB transaction while pruning. */
const PRUNE_SLICE = 16;
const BROTLI = { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } };
const compress = promisify(brotliCompress);

const packr = new Packr({ useBigIntExtension: true, useRecords: false } as never);
const TAIL = 'r\x1ft\x1f';
const CHUNK = 'r\x1fc\x1f';
const STATS = 'r\x1fs';

/** Fixed width, so that LMDB's key order is time order. */
function stamp(ts: Timestamp): string {
  return String(Math.max(0, Math.floor(ts))).padStart(16, '0');
}

function entryEvents(entry: RetainedEntry): number {
  return (entry.e?.length ?? 0) + (entry.c?.length ?? 0);
}

export class RetainedLog {
  private stats: LogStats;
  /** Tail entries not yet compacted (counted from the store at open). */
  private tailEvents = 0;
  private pending: Queued['pending'] = null;
  /** A transaction's input was not retained (retention off). */
  private missed = false;
  private work: Promise<void> = Promise.resolve();

  /** `enabled`: false with `--retain 0` (commits then mark the log incomplete). */
  constructor(
    private readonly db: RootDatabase,
    readonly enabled: boolean,
    created: boolean,
    lastTimestamp: Timestamp,
  ) {
    const stored = db.get(STATS) as LogStats | undefined;
    // A data directory made before the log existed has none of its transactions.
    this.stats = stored ?? { since: created ? 0 : lastTimestamp + 1, bytes: 0, events: 0, oldest: null };
    for (const { value } of db.getRange({ start: TAIL, end: 'r\x1ft\x20' }))
      this.tailEvents += entryEvents(packr.unpack(value as Buffer) as RetainedEntry);
    if (!enabled && this.stats.events > 0) this.work = this.clear(lastTimestamp).catch(() => undefined);
  }

  get status(): LogStats {
    return { ...this.stats };
  }

  /** Queues a transaction's input for the next commit (`write`). */
  retain(entry: RetainedEntry): void {
    if (this.enabled) this.pending = { packed: packr.pack(entry), events: entryEvents(entry) };
    else this.missed = true;
  }

  /** What `retain` queued, taken by a commit when it starts (later retains belong to the next). */
  take(): Queued {
    const queued: Queued = { pending: this.pending, missed: this.missed };
    this.pending = null;
    this.missed = false;
    return queued;
  }

  /** Inside the commit's LMDB transaction: the taken entry under the transaction's timestamp. */
  write(timestamp: Timestamp, { pending, missed }: Queued): void {
    const s = this.stats;
    if (pending) {
      void this.db.put(`${TAIL}${stamp(timestamp)}`, pending.packed);
      this.tailEvents += pending.events;
      this.stats = {
        ...s,
        bytes: s.bytes + pending.packed.length,
        events: s.events + pending.events,
        oldest: s.oldest ?? timestamp,
      };
    } else if (missed) {
      // Input that is not retained (`--retain 0`): the log is complete only after it.
      this.stats = { ...s, since: timestamp + 1 };
    } else return;
    void this.db.put(STATS, this.stats);
  }

  /** With retention off, what an earlier run retained is dropped (a slice at a time). */
  private async clear(lastTimestamp: Timestamp): Promise<void> {
    for (;;) {
      const keys = [...this.db.getKeys({ start: TAIL, end: 'r\x1ft\x20', limit: 256 })];
      for (const key of this.db.getKeys({ start: CHUNK, end: 'r\x1fc\x20', limit: PRUNE_SLICE }))
        keys.push(key);
      if (keys.length === 0) break;
      await this.db.transaction(() => {
        for (const key of keys) void this.db.remove(key);
      });
    }
    await this.db.transaction(() => {
      this.stats = {
        since: Math.max(this.stats.since, lastTimestamp + 1),
        bytes: 0,
        events: 0,
        oldest: null,
      };
      void this.db.put(STATS, this.stats);
    });
    this.tailEvents = 0;
  }

  /** Whether tail entries wait for compaction (enough events, or the oldest is old enough). */
  compactionDue(now: Timestamp): boolean {
    if (this.tailEvents >= COMPACT_AT_EVENTS) return true;
    const first = this.firstTail();
    return first !== null && now - first >= CHUNK_SPAN_MS;
  }

  private firstTail(): Timestamp | null {
    for (const key of this.db.getKeys({ start: TAIL, end: 'r\x1ft\x20', limit: 1 }))
      return Number((key as string).slice(TAIL.length));
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

  /** One chunk from the oldest tail entries; false when there was nothing to compact. */
  private async compactOnce(): Promise<boolean> {
    const taken: Array<[string, Timestamp, RetainedEntry, number]> = [];
    let events = 0;
    let first: Timestamp | null = null;
    for (const { key, value } of this.db.getRange({ start: TAIL, end: 'r\x1ft\x20' })) {
      const ts = Number((key as string).slice(TAIL.length));
      const entry = packr.unpack(value as Buffer) as RetainedEntry;
      const n = entryEvents(entry);
      first ??= ts;
      if (taken.length > 0 && (events + n > CHUNK_EVENTS || ts - first >= CHUNK_SPAN_MS)) break;
      taken.push([key as string, ts, entry, (value as Buffer).length]);
      events += n;
    }
    const last = taken.at(-1);
    if (!last || first === null) return false;
    const z = await compress(packr.pack(taken.map(([, ts, entry]) => [ts, entry])), BROTLI);
    const chunk: Chunk = { first, last: last[1], events, z };
    const tailBytes = taken.reduce((sum, t) => sum + t[3], 0);
    await this.db.transaction(() => {
      for (const [key] of taken) void this.db.remove(key);
      void this.db.put(`${CHUNK}${stamp(chunk.last)}`, chunk);
      const s = this.stats;
      this.stats = { ...s, bytes: s.bytes - tailBytes + z.length };
      void this.db.put(STATS, this.stats);
    });
    this.tailEvents -= events;
    return true;
  }

  /** Drops chunks whose newest transaction is older than `cutoff`, a slice per LMDB transaction. */
  private async prune(cutoff: Timestamp): Promise<void> {
    for (;;) {
      const doomed: Array<[string, Chunk]> = [];
      for (const { key, value } of this.db.getRange({
        start: CHUNK,
        end: `${CHUNK}${stamp(cutoff)}`,
        limit: PRUNE_SLICE,
      }))
        doomed.push([key as string, value as Chunk]);
      if (doomed.length === 0) return;
      await this.db.transaction(() => {
        let bytes = 0;
        let events = 0;
        for (const [key, chunk] of doomed) {
          void this.db.remove(key);
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
        void this.db.put(STATS, this.stats);
      });
    }
  }

  private oldestAfter(ts: Timestamp): Timestamp | null {
    for (const { value } of this.db.getRange({
      start: `${CHUNK}${stamp(ts + 1)}`,
      end: 'r\x1fc\x20',
      limit: 1,
    }))
      return (value as Chunk).first;
    return this.firstTail();
  }

  /** Every retained transaction in time order (compressed chunks, then the tail). */
  *entries(): Iterable<[Timestamp, RetainedEntry]> {
    for (const { value } of this.db.getRange({ start: CHUNK, end: 'r\x1fc\x20' })) {
      const chunk = value as Chunk;
      yield* packr.unpack(brotliDecompressSync(chunk.z)) as Array<[Timestamp, RetainedEntry]>;
    }
    for (const { key, value } of this.db.getRange({ start: TAIL, end: 'r\x1ft\x20' }))
      yield [Number((key as string).slice(TAIL.length)), packr.unpack(value as Buffer) as RetainedEntry];
  }

  /** Resolves once the maintenance in progress has ended. */
  idle(): Promise<void> {
    return this.work;
  }
}
