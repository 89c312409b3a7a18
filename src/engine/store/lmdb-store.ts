/**
 * The durable engine store on LMDB (chosen by measurement: BENCHMARKS.md, "Engine store"). One
 * LMDB environment in `<data-dir>/state` behind a redo journal (journaled-kv.ts); every ingest
 * transaction is one journal record holding the operators' changed entries, the sources' positions,
 * the timestamp and the PGlite path's pending input, and `commit` resolves once the record is written
 * (with `--sync-commits`: on the disk). Checkpoints copy the records into LMDB about once a second.
 *
 * Keys are strings: `s\x1f<op>\x1f=<key>` for an entry (`s\x1f<op>\x1f#<sha1>` with `[key, value]` for a
 * key too long for LMDB), `p\x1f<source>` for a position, `m\x1f<name>` for bookkeeping, `t` for the
 * timestamp, `q` for the pending transaction and `r\x1f...` for the retained event log
 * (retained-log.ts). Values are msgpack with bigints kept exact. The separator is U+001F, never NUL:
 * lmdb's key encoding reads a long string key with a NUL back as an array, out of its range, so an
 * entry with a long key (a long title in a top-k) was missing from `entries` (data format 3).
 */
import * as crypto from 'node:crypto';
import { open, type RootDatabase } from 'lmdb';
import type { Timestamp } from '../types.js';
import {
  DELETED,
  WriteSet,
  type EngineStore,
  type OpWrites,
  type PendingTransaction,
} from './engine-store.js';
import { JournaledKv, type JournalOptions } from './journaled-kv.js';
import { RetainedLog } from './retained-log.js';

/** LMDB refuses keys above 1,978 bytes; longer entry keys are stored under their hash. */
const MAX_PLAIN_KEY_BYTES = 1000;

/** The file LMDB keeps its pages in, inside the store's folder (LMDB names it). */
export const LMDB_DATA_FILE = 'data.mdb';

/**
 * The address space LMDB maps for the file: reserved, not memory (the file grows only as data is
 * written, and without a write map nothing is resident until read). lmdb-js starts at 128 KiB and
 * doubles the map as the file grows, and every earlier map stays mapped with the pages it had read:
 * seven maps held 67 MiB of the RSS after a million events, one map 16.5 MiB (BENCHMARKS.md,
 * "Footprint, sixth pass"). A file larger than this still grows the map as before.
 */
const MAP_BYTES = 64 * 2 ** 30;

/**
 * `async`: a commit resolves once its journal record is written (a killed process loses nothing; a
 * power cut at most the last second); `sync` (`--sync-commits`): once the record is also fdatasync'd.
 */
export type CommitMode = 'async' | 'sync';

/**
 * An entry's LMDB key. A key with a NUL before its end (a group of several columns: each value of
 * a group key ends with NUL) is stored under its hash like a long one: lmdb's key encoding reads a
 * NUL as the separator of an array key, so such a key came back as an array and the restart failed.
 */
function entryKey(op: string, key: string): string {
  const nul = key.indexOf('\0');
  const plain = nul === -1 || nul === key.length - 1;
  if (plain && (key.length * 3 <= MAX_PLAIN_KEY_BYTES || Buffer.byteLength(key) <= MAX_PLAIN_KEY_BYTES))
    return `s\x1f${op}\x1f=${key}`;
  return `s\x1f${op}\x1f#${sha1(key)}`;
}

/** Whether `entryKey` gave `op`'s entry its hash (its value is then stored as `[key, value]`). */
function isHashed(op: string, stored: string): boolean {
  return stored.charCodeAt(op.length + 3) === HASHED;
}

const HASHED = '#'.charCodeAt(0);

/**
 * Base64 SHA-1 of a key. `crypto.hash` (Node 20.12 and later) hashes in one call: a `Hash` object
 * per entry cost twice as much with cold caches (89 µs against 50 at 40 events/s, 3.3 against 2.7
 * back to back), and a group of several columns is such a key on every change.
 */
const sha1: (key: string) => string =
  typeof crypto.hash === 'function'
    ? (key) => crypto.hash('sha1', key, 'base64')
    : (key) => crypto.createHash('sha1').update(key).digest('base64');

export class LmdbEngineStore implements EngineStore {
  private readonly lmdb: RootDatabase;
  private readonly db: JournaledKv;
  private readonly writes = new WriteSet();
  private readonly metaWrites = new Map<string, string>();
  readonly created: boolean;
  lastTimestamp: Timestamp;
  pending: PendingTransaction | null;
  readonly log: RetainedLog;

  /**
   * `retain`: whether ingest transactions' input is kept in the retained event log; `journal`: the
   * checkpoints' timing (tests make them explicit).
   */
  constructor(path: string, mode: CommitMode = 'async', retain = true, journal: JournalOptions = {}) {
    // overlappingSync (lmdb-js's default on Linux) lets the next transaction begin while one is being
    // flushed; only one checkpoint is ever in flight here, and it costs a second completion callback
    // and more page writes per commit. Without it an LMDB commit resolves once LMDB's own flush has
    // returned: the checkpoint's `flushed` then waits for nothing more (journaled-kv.ts).
    // Checkpoints store the journal's msgpack as it is: read back as the journal's own reads do, a
    // msgpack map is an object (LMDB's decoder would make it a Map).
    this.lmdb = open({
      path,
      encoder: { useBigIntExtension: true, mapsAsObjects: true } as never,
      compression: false,
      overlappingSync: false,
      mapSize: MAP_BYTES,
    });
    try {
      this.db = new JournaledKv(this.lmdb, path, { ...journal, syncCommits: mode === 'sync' });
    } catch (error) {
      void this.lmdb.close();
      throw error;
    }
    const stored = this.db.get('t') as number | undefined;
    this.created = stored === undefined;
    this.lastTimestamp = stored ?? 0;
    this.pending = (this.db.get('q') as PendingTransaction | undefined) ?? null;
    this.log = new RetainedLog(this.db, retain, this.created, this.lastTimestamp);
  }

  *entries(op: string): Iterable<[string, unknown]> {
    const prefix = `s\x1f${op}\x1f`;
    for (const { key, value } of this.db.getRange({ start: prefix, end: `s\x1f${op}\x20` })) {
      const rest = key.slice(prefix.length);
      if (rest.startsWith('=')) yield [rest.slice(1), value];
      else yield value as [string, unknown];
    }
  }

  set(op: string, key: string, value: unknown): void {
    this.writes.set(op, key, value);
  }

  delete(op: string, key: string): void {
    this.writes.set(op, key, DELETED);
  }

  position(source: string): string | null {
    return (this.db.get(`p\x1f${source}`) as string | undefined) ?? null;
  }

  meta(key: string): string | undefined {
    // `m\0<name>`: data format 3 and older, read only to name the format of an old directory.
    const stored = this.db.get(`m\x1f${key}`) ?? this.db.get(`m\0${key}`);
    return this.metaWrites.get(key) ?? (stored as string | undefined);
  }

  setMeta(key: string, value: string): void {
    this.metaWrites.set(key, value);
  }

  async commit(
    timestamp: Timestamp,
    positions: Record<string, string>,
    pending: PendingTransaction | null,
  ): Promise<void> {
    // The writes are taken now (the journal's transaction runs its writes before it returns):
    // entries set while this commit is in flight belong to the next one.
    const writes = this.writes;
    const metaWrites = this.metaWrites;
    const retained = this.log.take();
    let written: Promise<void>;
    try {
      written = this.db.transaction(() => {
        const db = this.db;
        // `forEach`, not `for...of`: iterating a map makes an entry array per key, every transaction.
        writes.ops.forEach(this.writeOp);
        // No array of entries made per commit for the positions, nor an iterator of no bookkeeping.
        for (const source in positions) db.put(`p\x1f${source}`, positions[source]);
        if (metaWrites.size > 0) metaWrites.forEach((value, key) => db.put(`m\x1f${key}`, value));
        db.put('t', timestamp);
        this.log.write(timestamp, retained);
        if (pending) db.put('q', pending);
        else if (this.pending) db.remove('q');
      });
    } finally {
      writes.clear();
      if (metaWrites.size > 0) metaWrites.clear();
    }
    await written;
    this.lastTimestamp = timestamp;
    this.pending = pending;
  }

  /**
   * One operator's entries into the journal's transaction. Made once: a closure per operator per
   * commit was itself an allocation per event.
   */
  private readonly writeOp = (entries: OpWrites, op: string): void => {
    const db = this.db;
    for (let i = 0; i < entries.size; i++) {
      const key = entries.keyAt(i);
      const value = entries.valueAt(i);
      const stored = entryKey(op, key);
      if (value === DELETED) db.remove(stored);
      else db.put(stored, isHashed(op, stored) ? [key, value] : value);
    }
  };

  /** Entries currently stored for `op` (used by the restart benchmark). */
  count(op: string): number {
    let n = 0;
    for (const _ of this.db.getKeys({ start: `s\x1f${op}\x1f`, end: `s\x1f${op}\x20` })) n++;
    return n;
  }

  /** Facts about the opening worth a log line (a torn journal record cut off). */
  get notes(): readonly string[] {
    return this.db.notes;
  }

  /** Copies the journal into LMDB now (tests; the store does it on its own about once a second). */
  checkpoint(): Promise<void> {
    return this.db.checkpoint();
  }

  async close(): Promise<void> {
    await this.log.idle();
    await this.db.close();
    await this.lmdb.close();
  }
}
