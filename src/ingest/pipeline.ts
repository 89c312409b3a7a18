/**
 * Between the sources and the engine: events become input rows and are committed in micro-batches.
 * A batch closes when it holds `batchSize` events or its first event is `batchMs` old; only one
 * transaction is in flight, so under a burst the next batch grows instead of a queue of batches.
 */
import type { ArrivedEvent, IngestingEngine, InputRecord } from '../engine/types.js';
import type { SelectedKeys } from '../core/json-fields.js';
import { errorMessage } from '../core/errors.js';
import type { EventSink, RawEvent } from '../sources/types.js';
import { fieldsRead, recordMapper, type RecordMapper } from './records.js';

/** Events a source may push back to back before its push asks it to let the event loop run. */
const YIELD_EVERY = 64;

export interface PipelineOptions {
  batchSize: number;
  batchMs: number;
  /** Called when a transaction fails: the events of that batch were not applied. */
  onError: (error: Error) => void;
  /** Called after each commit: its timestamp, when it was handed to the engine (ms), its duration (s). */
  onCommit?: (timestamp: number, startedAtMs: number, seconds: number) => void;
}

export interface SourceCounters {
  /** Events committed by the engine. */
  applied: number;
  skipped: Record<string, number>;
}

interface Pending {
  record: InputRecord;
  /** The event as it arrived (its JSON text when the source read one), for the engine's retained log. */
  event: ArrivedEvent;
  source: string;
  /** Null once a later event of the same source joined the same batch (only the last one is stored). */
  position: string | null;
}

export class IngestPipeline {
  private readonly map: RecordMapper;
  /** The fields the mapping reads: sources that read JSON text decode only these. */
  private readonly reads: SelectedKeys;
  private buffer: Pending[] = [];
  /**
   * Each source's latest event in the buffer and its index there. A batch commits only its last
   * position per source, and a source's position can be large (a replay's or the stream's recent
   * event ids, about 1.5 KB per event): dropped at once when the next event of the same source
   * joins the same batch, it dies young instead of being promoted with the batch it waits in.
   */
  private latest = new Map<string, { pending: Pending; index: number }>();
  /** The scheduled flush: cancels it. */
  private timer: (() => void) | null = null;
  /** Whether the scheduled flush comes without a wait, in this turn or the next (none to cut short). */
  private flushNextTurn = false;
  /** When the last transaction ended (performance.now()). */
  private lastFlushEnd = -Infinity;
  private inFlight = false;
  private waiters: Array<() => void> = [];
  private sinceYield = 0;
  private idleWaiters: Array<() => void> = [];
  readonly counters = new Map<string, SourceCounters>();
  /** Events pushed, and events whose transaction has ended (committed or failed), in push order. */
  private pushed = 0;
  private settled = 0;
  private commitWaiters: Array<{ upTo: number; resolve: () => void; reject: (error: Error) => void }> = [];
  /** Transactions committed, and the events in them. */
  commits = 0;
  applied = 0;

  constructor(
    private readonly engine: IngestingEngine,
    private readonly options: PipelineOptions,
  ) {
    this.map = recordMapper(engine.inputColumns);
    this.reads = fieldsRead(engine.inputColumns);
  }

  sinkFor(source: string): EventSink {
    const counters: SourceCounters = { applied: 0, skipped: {} };
    this.counters.set(source, counters);
    const skip = (reason: string): void => {
      counters.skipped[reason] = (counters.skipped[reason] ?? 0) + 1;
    };
    return {
      // A value that cannot fit its column becomes NULL and is counted as skipped.
      push: (event: RawEvent, position: string | null, text?: string) =>
        this.push(source, event, position, skip, text),
      skip,
      reads: this.reads,
    };
  }

  /** Resolves once every event pushed so far is committed. */
  drain(): Promise<void> {
    if (!this.inFlight && this.buffer.length === 0) return Promise.resolve();
    this.schedule(0);
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Resolves once every event pushed so far has been committed (rejects if its transaction failed).
   * Unlike `drain`, later pushes by other sources do not hold it back.
   */
  committed(): Promise<void> {
    const upTo = this.pushed;
    if (this.settled >= upTo) return Promise.resolve();
    return new Promise((resolve, reject) => this.commitWaiters.push({ upTo, resolve, reject }));
  }

  private settle(count: number, error: Error | null): void {
    this.settled += count;
    // Nobody waits at the live rate: no lists are made per transaction for nothing.
    if (this.commitWaiters.length === 0) return;
    const due = this.commitWaiters.filter((w) => w.upTo <= this.settled);
    this.commitWaiters = this.commitWaiters.filter((w) => w.upTo > this.settled);
    for (const waiter of due) {
      if (error) waiter.reject(error);
      else waiter.resolve();
    }
  }

  private push(
    source: string,
    event: RawEvent,
    position: string | null,
    skip: (reason: string) => void,
    text: string | undefined,
  ): void | Promise<void> {
    this.pushed++;
    const pending: Pending = { record: this.map(event, skip), event: text ?? event, source, position };
    this.forgetEarlierPosition(pending, this.buffer.push(pending) - 1);
    if (this.buffer.length >= this.options.batchSize) this.schedule(0);
    else if (this.quiet()) this.schedule(0, true);
    else this.schedule(this.options.batchMs);
    // Past two full batches the source is asked to wait; live sources may ignore the promise.
    if (this.buffer.length >= this.options.batchSize * 2)
      return new Promise((resolve) => this.waiters.push(resolve));
    // A source that pushes as fast as it can (a replay at --speed max) would otherwise parse a whole
    // batch in one go and stall the sockets for tens of milliseconds: every few events it is sent
    // round the event loop once.
    if (++this.sinceYield >= YIELD_EVERY) {
      this.sinceYield = 0;
      return new Promise((resolve) => setImmediate(resolve));
    }
    return undefined;
  }

  /**
   * A flush takes the first `batchSize` events or all of them, so two events in the buffer end up in
   * the same batch exactly when their indices fall in the same multiple of `batchSize`.
   */
  private forgetEarlierPosition(pending: Pending, index: number): void {
    if (pending.position === null) return;
    const earlier = this.latest.get(pending.source);
    const size = this.options.batchSize;
    if (earlier && Math.floor(earlier.index / size) === Math.floor(index / size))
      earlier.pending.position = null;
    this.latest.set(pending.source, { pending, index });
  }

  /**
   * Whether the last transaction ended `batchMs` ago or longer: then a new batch does not wait for
   * more events. An event after a quiet spell (every event of a live stream at tens per second) is
   * committed as soon as the code that pushed it returns, instead of waiting for company that is
   * not coming; a burst still batches from its second transaction on.
   */
  private quiet(): boolean {
    return performance.now() - this.lastFlushEnd >= this.options.batchMs;
  }

  /**
   * `thisTurn`: flush once the code that pushed returns (a microtask), so that the events it pushes
   * together join one batch. At the live rate the next turn of the event loop (`setImmediate`) cost
   * an `epoll_pwait` and node's round of immediates per event, each with cold caches; a flush on a
   * later turn (a full batch, the rest after a transaction, a drain) still lets a source that
   * awaits every push (a replay) fill the batch first.
   */
  private schedule(delay: number, thisTurn = false): void {
    if (this.inFlight) return; // the commit in flight schedules the next batch when it ends
    if (this.timer && (delay > 0 || this.flushNextTurn)) return;
    this.timer?.();
    this.flushNextTurn = delay <= 0;
    const flush = (): void => {
      this.timer = null;
      void this.flush();
    };
    if (delay > 0) {
      const timeout = setTimeout(flush, delay);
      this.timer = () => clearTimeout(timeout);
    } else if (thisTurn) {
      let cancelled = false;
      queueMicrotask(() => {
        if (!cancelled) flush();
      });
      this.timer = () => {
        cancelled = true;
      };
    } else {
      // The next turn (a timer of 0 ms waits at least 1 ms).
      const immediate = setImmediate(flush);
      this.timer = () => clearImmediate(immediate);
    }
  }

  private async flush(): Promise<void> {
    if (this.inFlight || this.buffer.length === 0) return this.settleIdle();
    this.inFlight = true;
    const batch = this.buffer.splice(0, this.options.batchSize);
    // The events left in the buffer moved down by the batch taken.
    for (const [source, latest] of this.latest) {
      if ((latest.index -= batch.length) < 0) this.latest.delete(source);
    }
    // Each source's position is that of its last event in the batch: committed together with the
    // events, it marks exactly where that source resumes.
    const positions: Record<string, string> = {};
    const perSource = new Map<string, number>();
    for (const { source, position } of batch) {
      if (position !== null) positions[source] = position;
      perSource.set(source, (perSource.get(source) ?? 0) + 1);
    }
    const size = batch.length;
    try {
      const startedAtMs = Date.now();
      const started = performance.now();
      const timestamp = await this.ingest(batch, positions);
      this.options.onCommit?.(timestamp, startedAtMs, (performance.now() - started) / 1000);
      this.commits++;
      this.applied += size;
      for (const [source, n] of perSource) {
        const counters = this.counters.get(source);
        if (counters) counters.applied += n;
      }
      this.settle(size, null);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(errorMessage(error));
      this.settle(size, failure);
      this.options.onError(failure);
    } finally {
      this.inFlight = false;
      this.lastFlushEnd = performance.now();
      if (this.buffer.length < this.options.batchSize * 2) for (const wake of this.waiters.splice(0)) wake();
      // A full batch, or a drain waiting for what is left, goes on the next turn: not after batchMs.
      if (this.buffer.length > 0)
        this.schedule(
          this.buffer.length >= this.options.batchSize || this.idleWaiters.length > 0
            ? 0
            : this.options.batchMs,
        );
      else this.settleIdle();
    }
  }

  /**
   * Hands the batch to the engine and empties it: nothing of it is read after the commit but its
   * size, so what only the pipeline held (each event's entry) is let go before the asynchronous
   * durable commit and dies young instead of being promoted with it.
   */
  private ingest(batch: Pending[], positions: Record<string, string>): Promise<number> {
    const records = batch.map((p) => p.record);
    const events = batch.map((p) => p.event);
    batch.length = 0;
    return this.engine.ingest(records, positions, events);
  }

  private settleIdle(): void {
    if (this.inFlight || this.buffer.length > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
