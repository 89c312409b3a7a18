/**
 * The embedded engine as the rest of viewcast sees it: SUBSCRIBE semantics on top of a PGlite
 * worker. Commits and snapshots come back from the worker in the order they happened there, which
 * is what makes a snapshot followed by later commits exact.
 */
import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { ViewcastError } from '../../core/errors.js';
import { stringifyJson } from '../../core/exact-json.js';
import type {
  Column,
  IngestingEngine,
  InputRecord,
  SubscribeListener,
  SubscribeOptions,
  SubscribeRow,
  Subscription,
  Timestamp,
  ViewInfo,
} from '../types.js';
import { CommitHistory, HISTORY_DEFAULTS, type HistoryLimits } from './history.js';
import type { CommitResult, InitResult, Reply, Request, SnapshotResult } from './protocol.js';

export interface EmbeddedEngineOptions {
  viewsFile: string;
  /** Null keeps everything in memory. */
  dataDir: string | null;
  /** How much recent history `AS OF` can reach back into. */
  history?: Partial<HistoryLimits>;
}

interface Subscriber {
  view: string;
  listener: SubscribeListener;
  /** False until the snapshot arrived: commits before it are already part of the snapshot. */
  live: boolean;
  closed: boolean;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export class EmbeddedEngine implements IngestingEngine {
  views: ViewInfo[] = [];
  inputColumns: Column[] = [];
  /** Start-up warnings, e.g. views that are re-evaluated in full on every transaction. */
  warnings: string[] = [];
  /** The timestamp of the last commit. */
  timestamp: Timestamp = 0;
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { type: Request['type']; resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private readonly subscribers = new Set<Subscriber>();
  private failure: Error | null = null;
  private history: CommitHistory | null = null;
  private readonly historyLimits: HistoryLimits;

  constructor(private readonly options: EmbeddedEngineOptions) {
    this.historyLimits = { ...HISTORY_DEFAULTS, ...options.history };
  }

  async start(): Promise<void> {
    const viewsSql = await readFile(this.options.viewsFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new ViewcastError(
        'VIEWCAST_VIEWS_FILE',
        `Cannot read the views file ${this.options.viewsFile}: ${error.code ?? error.message}.`,
      );
    });
    this.worker = new Worker(new URL('./worker.js', import.meta.url));
    this.worker.on('message', (reply: Reply) => this.onReply(reply));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) =>
      this.fail(new ViewcastError('VIEWCAST_ENGINE', `the engine worker exited (code ${code})`)),
    );
    const result = (await this.call({
      type: 'init',
      dataDir: this.options.dataDir,
      viewsSql,
      viewsFile: this.options.viewsFile,
    })) as InitResult;
    this.views = result.views;
    this.inputColumns = result.inputColumns;
    this.warnings = result.warnings;
    this.timestamp = result.timestamp;
    this.history = new CommitHistory(result.timestamp, this.historyLimits);
  }

  async ingest(records: InputRecord[], positions: Record<string, string>): Promise<Timestamp> {
    const text = stringifyJson(records); // integers beyond 2^53 arrive as BigInts: written exactly
    const commit = (await this.call({ type: 'ingest', records: text, positions })) as CommitResult;
    return commit.timestamp;
  }

  /** The oldest timestamp `AS OF` can still be answered for. */
  get historyFloor(): Timestamp {
    return this.history?.floor ?? this.timestamp;
  }

  async resumePosition(source: string): Promise<string | null> {
    return (await this.call({ type: 'position', source })) as string | null;
  }

  subscribe(view: string, options: SubscribeOptions, listener: SubscribeListener): Subscription {
    if (!this.views.some((v) => v.name === view)) {
      throw new ViewcastError(
        'VIEWCAST_UNKNOWN_VIEW',
        `unknown view "${view}"; known views: ${this.views.map((v) => v.name).join(', ')}`,
      );
    }
    const asOf = options.asOf;
    if (asOf !== undefined) this.checkAsOf(asOf);
    const subscriber: Subscriber = { view, listener, live: false, closed: false };
    this.subscribers.add(subscriber);
    // Pinned until the snapshot arrives: the history must still reach back to `asOf` then.
    const unpin = asOf !== undefined && this.history ? this.history.pin() : () => undefined;
    void this.call({ type: 'snapshot', view }).then(
      (result) => {
        unpin();
        if (subscriber.closed) return;
        const snapshot = result as SnapshotResult;
        subscriber.live = true;
        listener(this.opening(view, snapshot, options));
      },
      () => {
        unpin();
        this.subscribers.delete(subscriber);
      },
    );
    return {
      close: () => {
        subscriber.closed = true;
        unpin();
        this.subscribers.delete(subscriber);
      },
    };
  }

  /**
   * The rows a subscription starts with: a progress row at its first timestamp, the snapshot (unless
   * SNAPSHOT is off), then, for AS OF, every change since, each timestamp closed by a progress row.
   */
  private opening(view: string, snapshot: SnapshotResult, options: SubscribeOptions): SubscribeRow[] {
    const start = options.asOf ?? snapshot.timestamp;
    const rows =
      options.asOf === undefined || !this.history
        ? snapshot.rows
        : [...this.history.rollBack(view, snapshot.rows, start).counted()];
    const out: SubscribeRow[] = [{ progressed: true, timestamp: start }];
    if (options.snapshot !== false)
      for (const [row, diff] of rows) out.push({ progressed: false, timestamp: start, diff, row });
    out.push({ progressed: true, timestamp: start + 1 });
    if (options.asOf !== undefined && this.history) {
      for (const commit of this.history.after(start)) out.push(...this.rowsOf(view, commit));
    }
    return out;
  }

  private rowsOf(view: string, commit: CommitResult): SubscribeRow[] {
    const out: SubscribeRow[] = [];
    for (const [row, diff] of commit.views.find((v) => v.view === view)?.changes ?? [])
      out.push({ progressed: false, timestamp: commit.timestamp, diff, row });
    out.push({ progressed: true, timestamp: commit.timestamp + 1 });
    return out;
  }

  private checkAsOf(asOf: Timestamp): void {
    if (!Number.isSafeInteger(asOf)) {
      throw new ViewcastError('VIEWCAST_AS_OF', `AS OF needs a whole-number timestamp, not ${asOf}.`);
    }
    if (asOf > this.timestamp) {
      throw new ViewcastError(
        'VIEWCAST_AS_OF',
        `AS OF ${asOf} is later than the engine's current timestamp ${this.timestamp}; subscribe without AS OF to start now.`,
      );
    }
    if (asOf < this.historyFloor) {
      throw new ViewcastError(
        'VIEWCAST_AS_OF',
        `AS OF ${asOf} is older than the engine's history, which reaches back to ${this.historyFloor} ` +
          `(the last ${this.historyLimits.maxAgeMs / 1000} s, at most ${this.historyLimits.maxCommits} transactions and ${this.historyLimits.maxRows} changed rows). ` +
          `Subscribe without AS OF for the current state, or AS OF a timestamp from ${this.historyFloor} on.`,
      );
    }
  }

  async close(): Promise<void> {
    if (!this.worker) return;
    const worker = this.worker;
    await this.call({ type: 'close' }).catch(() => undefined);
    this.worker = null;
    await worker.terminate();
  }

  private call(request: DistributiveOmit<Request, 'id'>): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const worker = this.worker;
    if (!worker) return Promise.reject(new ViewcastError('VIEWCAST_ENGINE', 'the engine is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { type: request.type, resolve, reject });
      worker.postMessage({ ...request, id });
    });
  }

  private onReply(reply: Reply): void {
    const waiter = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if (!reply.ok) {
      waiter?.reject(ViewcastError.relayed(reply.error.code, reply.error.message, reply.error.name));
      return;
    }
    if (waiter?.type === 'ingest') this.publish(reply.result as CommitResult);
    waiter?.resolve(reply.result);
  }

  /** Called in the worker's message order, before any later snapshot reply is handled. */
  private publish(commit: CommitResult): void {
    this.timestamp = commit.timestamp;
    this.history?.add(commit);
    for (const subscriber of this.subscribers) {
      if (subscriber.live) subscriber.listener(this.rowsOf(subscriber.view, commit));
    }
  }

  private fail(error: Error): void {
    if (!this.worker) return;
    this.failure ??= error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}
