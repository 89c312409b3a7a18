/**
 * The retained log's input on its way to a commit (retained-log.ts): the engine hands over each
 * transaction's input while its operators run (`retain`), and the store's commit takes what was
 * queued (`take`) and writes it in the same store transaction as the operators' state.
 */
import type { Timestamp } from '../types.js';
import {
  BROTLI_FAST,
  DIRECT_EVENTS,
  entryEvents,
  type Chunk,
  type RetainedEntry,
} from './retained-format.js';
import { compressPieces, frameAlone } from './retained-frame.js';

export interface Queued {
  /**
   * A small transaction's input, encoded by the commit straight into its journal record as a tail
   * entry (`JournaledKv.putTail`), or a transaction compressed as a chunk of its own.
   */
  pending: { tail: RetainedEntry; events: number } | { chunk: Chunk; events: number } | null;
  missed: boolean;
}

export class RetainedQueue {
  private pending: Queued['pending'] = null;
  /** A transaction's input was not retained (retention off). */
  private missed = false;

  constructor(private readonly enabled: boolean) {}

  /**
   * Queues a transaction's input for its commit. A large one is framed now and compressed in zlib's
   * thread pool (retained-frame.ts): the returned promise resolves when it is ready (the commit
   * awaits it). The entry is consumed: its events are let go once framed, since the commit that
   * waits for the compression still holds the entry, and a thousand events' text kept through that
   * wait was promoted to the old space by the scavenges meanwhile (GC pauses at full speed 0.93-1.2 s
   * per run, 0.66-0.69 s with the text let go: BENCHMARKS.md, "Event-loop delay with a data
   * directory, round 2").
   */
  retain(entry: RetainedEntry, timestamp: Timestamp): Promise<void> | undefined {
    if (!this.enabled) {
      this.missed = true;
      return undefined;
    }
    const events = entryEvents(entry);
    if (events < DIRECT_EVENTS) {
      this.pending = { tail: entry, events };
      return undefined;
    }
    const framed = frameAlone(timestamp, entry);
    delete entry.e;
    delete entry.c;
    return compressPieces(framed, BROTLI_FAST).then((z) => {
      this.pending = { chunk: { first: timestamp, last: timestamp, events, z }, events };
    });
  }

  /** What `retain` queued, taken by a commit when it starts (later retains belong to the next). */
  take(): Queued {
    const queued: Queued = { pending: this.pending, missed: this.missed };
    this.pending = null;
    this.missed = false;
    return queued;
  }
}
