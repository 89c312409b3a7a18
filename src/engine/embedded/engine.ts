/**
 * The embedded engine as the rest of viewcast sees it: SUBSCRIBE semantics over two paths. Every view
 * the delta path supports runs as incremental operators on this thread; the others run in a PGlite
 * worker, started only when some view needs it. One ingest transaction is one timestamp for both
 * paths: the delta graph applies it, the store commits its state with the sources' positions
 * (durably), PGlite commits it, and only then are the changes of every view published.
 */
import { unknownViewError, ViewcastError } from '../../core/errors.js';
import { consolidate } from '../../core/multiset.js';
import { checkTablesDeclared, type ViewsFile } from '../../sql/views-file.js';
import type { DeltaGraph, InputChange, ViewDelta } from '../delta/interface.js';
import type { EngineStore } from '../store/engine-store.js';
import type {
  Column,
  ArrivedEvent,
  IngestingEngine,
  InputRecord,
  SubscribeListener,
  SubscribeOptions,
  Subscription,
  Timestamp,
  ViewBatchListener,
  ViewErrorInfo,
  ViewInfo,
} from '../types.js';
import { applySliced, SLICE } from './sliced-apply.js';
import type { PglitePath } from '../pglite/pglite-path.js';
import { Subscribers, type Subscriber, type SubscriberSink } from './subscribers.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { commitTickState, DEFAULT_TICK_MS } from './clock-tick.js';
import type { RetainedEntry } from '../store/retained-log.js';
import { Retention, type RetentionStatus } from './retention.js';
import { openEngine, type EmbeddedEngineOptions } from './open-engine.js';

export type { EmbeddedEngineOptions } from './open-engine.js';

export class EmbeddedEngine implements IngestingEngine {
  views: ViewInfo[] = [];
  inputColumns: Column[] = [];
  /** Start-up warnings, e.g. PGlite views that are re-evaluated in full on every transaction. */
  warnings: string[] = [];
  /** Start-up facts worth a log line (a views file that changed). */
  notes: string[] = [];
  /** The timestamp of the last published transaction. */
  timestamp: Timestamp = 0;
  /** Each published transaction and snapshot reaches a subscriber in one call, consolidated. */
  readonly consolidated = true;
  private parsed: ViewsFile | null = null;
  private graph: DeltaGraph | null = null;
  private store: EngineStore | null = null;
  private pglite: PglitePath | null = null;
  private readonly subscribers = new Subscribers();
  /** Delta-path subscribers waiting for the transaction in flight to be published. */
  private waiting: Subscriber[] = [];
  private inFlight = false;
  private queue: Promise<unknown> = Promise.resolve();
  private failure: Error | null = null;
  private closed = false;
  private readonly clock: Clock;
  private stopTicking: (() => void) | null = null;
  private retention: Retention | null = null;
  private stopRetaining: (() => void) | null = null;

  constructor(private readonly options: EmbeddedEngineOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** The views file's tables (the first is the one event sources fill), known once `start` resolves. */
  get tables(): string[] {
    return this.parsed?.tables.map((t) => t.name) ?? [];
  }

  /** True when some view runs on PGlite (and the PGlite worker was started). */
  get pgliteLoaded(): boolean {
    return this.pglite !== null;
  }

  async start(): Promise<void> {
    const opened = await openEngine(this.options, this.clock.now(), (error) => this.fail(error));
    const { parsed, store, graph } = opened;
    this.parsed = parsed;
    this.store = store;
    this.graph = graph;
    this.pglite = opened.pglite;
    this.views = opened.views;
    this.inputColumns = opened.inputColumns;
    this.notes.push(...opened.notes);
    this.warnings.push(...opened.warnings);
    try {
      // The state is valid now: nothing has changed since the last commit.
      this.timestamp = Math.max(store.lastTimestamp, this.clock.now());
      // A new data directory remembers its views file from the start (no transaction yet: timestamp 0).
      if (store.created) await store.commit(0, {}, null);
      this.retention = new Retention(store.log, this.clock, opened.retainMs, this.options.dataDir);
      this.stopRetaining = this.retention.start();
      const tickMs = this.options.tickMs ?? DEFAULT_TICK_MS;
      if (tickMs > 0)
        this.stopTicking = this.clock.every(tickMs, () => void this.tick().catch(() => undefined));
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** `events`: the events as they arrived, for the retained log (default: the records). */
  ingest(
    records: InputRecord[],
    positions: Record<string, string>,
    events?: ArrivedEvent[],
  ): Promise<Timestamp> {
    const table = this.parsed?.inputTable.name ?? '';
    const changes = records.map((row) => ({ table, row, diff: 1 }));
    return this.inTurn(() => this.commit(changes, positions, { e: events ?? records }));
  }

  ingestChanges(changes: InputChange[], positions: Record<string, string>): Promise<Timestamp> {
    return this.inTurn(() => this.commit(changes, positions, { c: changes }));
  }

  /** Runs `work` after every transaction queued before it: one transaction at a time, in order. */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * An empty transaction at the clock's time, so that progress reaches every subscriber
   * while no event arrives and temporal filters emit what is due. Nothing is written unless some
   * window opened or closed. Resolves with the published timestamp (unchanged when the clock has not
   * passed it).
   */
  tick(): Promise<Timestamp> {
    return this.inTurn(() => this.commitTick());
  }

  private async commitTick(): Promise<Timestamp> {
    const { graph, store } = this;
    if (this.failure || this.closed || !graph || !store) return this.timestamp;
    const timestamp = this.clock.now();
    if (timestamp <= this.timestamp) return this.timestamp;
    if (!graph.due?.(timestamp)) {
      this.publish(timestamp, [], []);
      return timestamp;
    }
    this.inFlight = true;
    try {
      const deltas = graph.apply([], timestamp);
      await commitTickState(store);
      this.publish(timestamp, deltas, []);
      return timestamp;
    } catch (error) {
      throw this.fail(error);
    }
  }

  private async commit(
    changes: InputChange[],
    positions: Record<string, string>,
    retained: RetainedEntry,
  ): Promise<Timestamp> {
    if (this.failure) throw this.failure;
    const { graph, store, parsed } = this;
    if (this.closed || !graph || !store || !parsed)
      throw new ViewcastError('VIEWCAST_ENGINE', 'the engine is not running');
    checkTablesDeclared(parsed, changes);
    const timestamp = Math.max(this.clock.now(), this.timestamp + 1);
    this.inFlight = true;
    try {
      // A large transaction's input is compressed for the retained log while the operators run.
      const retaining = store.log?.retain(retained, timestamp);
      // A transaction of one slice is applied at once: at the live rate every `await` is a turn of
      // the microtask queue per event for nothing.
      const deltas =
        changes.length <= SLICE
          ? graph.apply(changes, timestamp)
          : await applySliced(graph, changes, timestamp);
      const pglite = this.pglite;
      const pending = pglite ? pglite.pendingOf(changes, timestamp) : null;
      if (retaining) await retaining;
      await store.commit(timestamp, positions, pending);
      this.retention?.afterCommit();
      if (pglite && pending) {
        await pglite.commit(pending, (views) => this.publish(timestamp, deltas, views));
      } else this.publish(timestamp, deltas, []);
      return timestamp;
    } catch (error) {
      // The operators' memory may now be ahead of what is stored: the engine cannot go on.
      throw this.fail(error);
    }
  }

  private publish(
    timestamp: Timestamp,
    deltas: ViewDelta[],
    pglite: Array<{ view: string; changes: ViewDelta['changes']; errors?: ViewErrorInfo[] }>,
  ): void {
    const subscribers = this.subscribers;
    for (const delta of deltas) {
      // The whole error list goes out only when it changed.
      const errors = delta.errors.length > 0 ? (this.graph?.errors(delta.view) ?? []) : undefined;
      subscribers.stage(delta.view, delta.changes, errors);
    }
    for (const { view, changes, errors } of pglite) subscribers.stage(view, changes, errors);
    this.timestamp = timestamp;
    this.inFlight = false;
    subscribers.publish(timestamp);
    if (this.waiting.length > 0) for (const subscriber of this.waiting.splice(0)) this.openDelta(subscriber);
  }

  /** The retained event log and the data directory's disk use (null before start). */
  storage(): RetentionStatus | null {
    return this.retention?.status() ?? null;
  }

  /** Runs the retention schedule's work now (compaction, pruning, disk use); for tests and shutdown. */
  async maintainRetention(): Promise<void> {
    await this.retention?.run();
    await this.retention?.run();
  }

  async resumePosition(source: string): Promise<string | null> {
    return Promise.resolve(this.store?.position(source) ?? null);
  }

  subscribe(view: string, options: SubscribeOptions, listener: SubscribeListener): Subscription {
    return this.subscribeWith(view, options, { rows: listener });
  }

  /** The hub's form of `subscribe`: each timestamp as one batch of the consolidated changes. */
  subscribeBatches(view: string, options: SubscribeOptions, listener: ViewBatchListener): Subscription {
    return this.subscribeWith(view, options, { batches: listener });
  }

  private subscribeWith(view: string, options: SubscribeOptions, sink: SubscriberSink): Subscription {
    const info = this.views.find((v) => v.name === view);
    if (!info) throw unknownViewError(view, this.views);
    const subscriber: Subscriber = {
      view,
      sink,
      snapshot: options.snapshot !== false,
      live: false,
      closed: false,
    };
    const remove = this.subscribers.add(subscriber);
    if (info.path === 'pglite' && this.pglite) {
      // Replies come in the worker's order: this snapshot sits exactly between two published commits.
      this.pglite.snapshot(view).then(
        ({ rows, errors }) => this.subscribers.open(subscriber, this.timestamp, consolidate(rows), errors),
        () => remove(),
      );
    } else {
      // Never synchronously: the caller has not got its Subscription yet.
      queueMicrotask(() => {
        if (this.inFlight) this.waiting.push(subscriber);
        else this.openDelta(subscriber);
      });
    }
    return { close: remove };
  }

  /** A delta-path view's opening rows, at the last published timestamp. */
  private openDelta(subscriber: Subscriber): void {
    const graph = this.graph;
    if (!graph || subscriber.closed) return;
    this.subscribers.open(
      subscriber,
      this.timestamp,
      graph.snapshot(subscriber.view),
      graph.errors(subscriber.view),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTicking?.();
    this.stopRetaining?.();
    await this.queue;
    this.subscribers.clear();
    await this.pglite?.close();
    this.pglite = null;
    await this.store?.close();
    this.store = null;
  }

  /** Stops the engine for good (the first failure is the one reported); returns the error as an Error. */
  private fail(error: unknown): Error {
    const failure = error instanceof Error ? error : new Error(String(error));
    if (this.failure) return failure;
    this.failure = failure;
    this.options.onFailure?.(failure);
    return failure;
  }
}
