/**
 * LMDB behind a redo journal: a transaction is one record appended to the journal with one write
 * (journal-file.ts), and a checkpoint later copies the writes of many transactions, the last per key,
 * into LMDB, flushed, with the journal sequence it covers (`j`) written last. A flushed LMDB commit
 * per transaction cost 1.0-1.5 ms of CPU; a commit through the journal, its share of the checkpoints
 * included, 0.26-0.37 ms (BENCHMARKS.md, "The durable commit: a journal in front of LMDB").
 *
 * What a commit promises: once `transaction` resolves, the record is in the kernel's page cache,
 * which a killed process does not take with it; a power cut may take the records since the last
 * checkpoint (about a second), never a part of one. With `syncCommits` the record is also
 * fdatasync'd before `transaction` resolves, so not even a power cut takes back a published change.
 *
 * Reads see every committed write: the pending writes (those not yet checkpointed, and those the
 * running checkpoint is copying) are merged over LMDB's. Every write of the store goes through
 * `transaction`, in order (the retained log's compaction too), so LMDB holds the state as of its
 * stored sequence, plus perhaps part of the next checkpoint, which a replay completes.
 *
 * Crash safety of a checkpoint: it switches the journal files first (new records go to the other,
 * empty one), fdatasyncs the old one, copies its writes into LMDB (in slices) and the sequence they
 * cover last, then empties the old file. A crash before the sequence is stored leaves the old one in
 * LMDB: both files' records are replayed over whatever slices LMDB holds (a record holds values, not
 * changes, so replaying it again gives the same state). After it, the old file's records are at or
 * below the stored sequence and skipped.
 */
import { asBinary, type RootDatabase } from 'lmdb';
import { ViewcastError } from '../../core/errors.js';
import { JournalFiles } from './journal-file.js';
import { RecordBuilder } from './journal-record.js';
import { PendingWrites, readMerged, type Range } from './pending-writes.js';
import { packr } from './retained-format.js';

/** LMDB key of the last journal sequence LMDB holds. */
const SEQUENCE_KEY = 'j';

export interface JournalOptions {
  /** fdatasync every record before its transaction resolves (`--sync-commits`). */
  syncCommits?: boolean;
  /** A checkpoint this long after the first write it would cover. */
  checkpointMs?: number;
  /** A checkpoint as soon as the journal holds this many bytes (bounds the pending writes' memory). */
  checkpointBytes?: number;
  /**
   * Called between a checkpoint's steps: `switched` (new records go to the other file, LMDB not yet
   * written), `sliced` (LMDB holds a slice of the writes, not the sequence), `stored` (LMDB holds the
   * records and their sequence, the old file not yet emptied). Tests stop a process
   * there to show that a crash between any two steps loses nothing.
   */
  onCheckpointStep?: (step: 'switched' | 'sliced' | 'stored') => void;
  /** Writes per LMDB transaction of a checkpoint. */
  checkpointSlice?: number;
}

export const CHECKPOINT_MS = 1000;
export const CHECKPOINT_BYTES = 4 * 1024 * 1024;
/**
 * Writes per LMDB transaction of a checkpoint: 40,000 keys copied in slices of 4,096 held the event
 * loop up to 97 ms (p99 of its delay during the checkpoint), in slices of 1,024 21 ms, for the same CPU.
 */
export const CHECKPOINT_SLICE = 1024;
/**
 * A slice also ends once it has held the main thread this long: a few hundred writes of the retained
 * log's chunks (tens of KB each) took up to 7 ms at full speed.
 */
const CHECKPOINT_SLICE_MS = 2;

/** What a transaction that waits for nothing returns (no promise made per commit). */
const DONE = Promise.resolve();

export class JournaledKv {
  private readonly files: JournalFiles;
  private pending = new PendingWrites();
  /** What the running checkpoint copies into LMDB (still read from here until LMDB has it). */
  private copying: PendingWrites | null = null;
  /** The record of the transaction being written, and whether one is (puts outside are a bug). */
  private readonly record = new RecordBuilder();
  private writing = false;
  private seq: number;
  private running: Promise<void> = Promise.resolve();
  private checkpointing = false;
  private timer: NodeJS.Timeout | null = null;
  /** A failed checkpoint: every later transaction fails with it. */
  private failure: Error | null = null;
  private readonly syncCommits: boolean;
  private readonly checkpointMs: number;
  private readonly checkpointBytes: number;
  private readonly checkpointSlice: number;
  private readonly onStep: JournalOptions['onCheckpointStep'];
  /** Facts about the opening worth a log line (a torn record cut off). */
  readonly notes: string[] = [];

  constructor(
    readonly db: RootDatabase,
    dir: string,
    options: JournalOptions = {},
  ) {
    this.syncCommits = options.syncCommits ?? false;
    this.checkpointMs = options.checkpointMs ?? CHECKPOINT_MS;
    this.checkpointBytes = options.checkpointBytes ?? CHECKPOINT_BYTES;
    this.checkpointSlice = options.checkpointSlice ?? CHECKPOINT_SLICE;
    this.onStep = options.onCheckpointStep;
    this.files = new JournalFiles(dir);
    this.seq = this.replay();
  }

  /** Copies the journal's records after LMDB's sequence into LMDB, then empties both files. */
  private replay(): number {
    const covered = (this.db.get(SEQUENCE_KEY) as number | undefined) ?? 0;
    const { records, torn } = this.files.readAll();
    const writes = new PendingWrites();
    let seq = covered;
    let replayed = 0;
    for (const record of records) {
      if (record.seq <= covered) continue;
      if (record.seq !== seq + 1) break;
      for (const [key, value] of record.writes) writes.set(key, value);
      seq = record.seq;
      replayed++;
    }
    const ignored = records.filter((r) => r.seq > seq).length;
    if (torn.length > 0 || ignored > 0)
      this.notes.push(
        `Engine journal: cut off what a crash left unfinished (${[...torn, ...(ignored ? [`${ignored} records after a gap`] : [])].join('; ')}); ` +
          `the state is that of the last whole transaction, and the sources resume from its positions.`,
      );
    if (replayed > 0)
      this.db.transactionSync(() => {
        this.apply(writes);
        void this.db.put(SEQUENCE_KEY, seq);
      });
    this.files.empty(0, true);
    this.files.empty(1, true);
    return seq;
  }

  private apply(writes: PendingWrites): void {
    writes.forEach((value, key) => void this.write(key, value));
  }

  /**
   * One pending write into LMDB. The value's msgpack is stored as it is (`asBinary`), which LMDB's
   * own msgpack decoder reads back: unpacked and encoded again by LMDB, the retained log's chunks
   * made a checkpoint slice hold the main thread 16 ms on average at full speed, 3 ms stored as is.
   */
  private write(key: string, value: Buffer | null): Promise<boolean> {
    return value === null ? this.db.remove(key) : this.db.put(key, asBinary(value));
  }

  /** Inside `transaction` only. */
  put(key: string, value: unknown): void {
    this.stage().addValue(key, value);
  }

  /**
   * The retained log's tail entry (retained-format.ts), encoded straight into the record; returns
   * the stored value's length. Inside `transaction` only.
   */
  putTail(key: string, events: number, entry: unknown): number {
    return this.stage().addTail(key, events, entry);
  }

  remove(key: string): void {
    this.stage().add(key, null);
  }

  private stage(): RecordBuilder {
    if (!this.writing)
      throw new ViewcastError(
        'VIEWCAST_INTERNAL',
        'A store write outside a transaction: report this as a bug.',
      );
    return this.record;
  }

  /**
   * Runs `write` (synchronous: it calls put and remove) and journals its writes as one record.
   * Resolves when the record is written (and, with syncCommits, on the disk).
   */
  transaction(write: () => void): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const record = this.record;
    record.reset();
    this.writing = true;
    try {
      write();
    } catch (error) {
      record.reset();
      throw error;
    } finally {
      this.writing = false;
    }
    if (record.count === 0) return DONE;
    try {
      this.files.append(record.finish(this.seq + 1));
    } catch (error) {
      record.reset();
      return Promise.reject(journalError(error as NodeJS.ErrnoException));
    }
    this.seq++;
    for (let i = 0; i < record.count; i++) this.pending.set(record.keyAt(i), record.valueAt(i));
    // The record's bytes are kept as the pending writes' values: the next one is written after it.
    record.next();
    const synced = this.syncCommits
      ? this.files.sync().catch((e: unknown) => Promise.reject(journalError(e as NodeJS.ErrnoException)))
      : null;
    const full = this.files.size >= this.checkpointBytes;
    // The pending writes stay bounded: a journal that filled while a checkpoint runs waits for it.
    const checkpoint = full ? this.checkpoint(this.checkpointing) : this.schedule();
    if (!synced && !checkpoint) return DONE;
    return Promise.all([synced, checkpoint]).then(() => undefined);
  }

  private schedule(): null {
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.checkpoint().catch(() => undefined);
    }, this.checkpointMs).unref();
    return null;
  }

  /** Copies every pending write into LMDB; `await`: resolve only when done (else at once). */
  checkpoint(wait = true): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const run = this.running.then(() => this.checkpointOnce());
    this.running = run.catch(() => undefined);
    return wait ? run : Promise.resolve();
  }

  private async checkpointOnce(): Promise<void> {
    if (this.pending.size === 0 || this.failure) return;
    const copying = this.pending;
    const covered = this.seq;
    this.copying = copying;
    this.pending = new PendingWrites();
    this.checkpointing = true;
    const old = this.files.switchFiles();
    this.onStep?.('switched');
    try {
      // The old file's records reach the disk first: LMDB may then hold any part of them (a large
      // checkpoint is copied in slices, each its own LMDB transaction, so that the main thread is not
      // held up for long), and a replay from the stored sequence, which is written last, completes it.
      await this.files.sync(old);
      let n = 0;
      let sliceStart = performance.now();
      // Taken into two arrays first: the copy waits between slices, and `copying` does not change.
      const keys: string[] = [];
      const values: (Buffer | null)[] = [];
      copying.forEach((value, key) => {
        keys.push(key);
        values.push(value);
      });
      for (let i = 0; i < keys.length; i++) {
        const written = this.write(keys[i] as string, values[i] as Buffer | null);
        if (++n === this.checkpointSlice || performance.now() - sliceStart >= CHECKPOINT_SLICE_MS) {
          await written;
          this.onStep?.('sliced');
          n = 0;
          sliceStart = performance.now();
        }
      }
      await this.db.put(SEQUENCE_KEY, covered);
      await this.db.flushed;
      this.onStep?.('stored');
      this.files.empty(old);
    } catch (error) {
      this.failure = journalError(error as NodeJS.ErrnoException);
      throw this.failure;
    } finally {
      this.copying = null;
      this.checkpointing = false;
    }
  }

  get(key: string): unknown {
    const value = this.pendingValue(key);
    if (value === undefined) return this.db.get(key);
    return value === null ? undefined : packr.unpack(value);
  }

  private pendingValue(key: string): Buffer | null | undefined {
    const value = this.pending.get(key);
    return value !== undefined ? value : this.copying?.get(key);
  }

  /** LMDB's entries in [start, end) with the pending writes merged in, in key order. */
  getRange(range: Range): Iterable<{ key: string; value: unknown }> {
    return readMerged(this.db, [this.copying, this.pending], range, true);
  }

  /**
   * The keys alone: LMDB's values are not read. Right after a compaction every tail entry LMDB
   * holds is removed in the pending writes, and finding the first that is left decoded each of them.
   */
  *getKeys(range: Range): Iterable<string> {
    for (const { key } of readMerged(this.db, [this.copying, this.pending], range, false)) yield key;
  }

  /** Checkpoints what is pending and closes the journal (LMDB is closed by its owner). */
  async close(): Promise<void> {
    await this.checkpoint();
    this.files.close();
  }
}

function journalError(error: NodeJS.ErrnoException): Error {
  if (error instanceof ViewcastError) return error;
  return new ViewcastError(
    'VIEWCAST_DATA_DIR',
    `Cannot write the engine's state in the data directory: ${error.message} (${error.code ?? 'error'}). ` +
      `Free some space or fix the directory's permissions, then start again.`,
    { cause: error },
  );
}
