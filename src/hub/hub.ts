/**
 * The hub subscribes once to every view of the engine and keeps each view's state, so that any
 * number of clients are served from memory: a new client gets the current state at once, then the
 * same batches as everyone else. Moments (all views at one timestamp) are assembled by
 * moment-assembler.ts; each view's health (ok, error, reconnecting, stuck) by view-health.ts.
 *
 * One view never stops the others: a view in error keeps its place (its readers get the error), a
 * view that stops progressing is released after a bound, a listener that throws is logged and
 * skipped, and start-up gives up with an error naming the views that never delivered a snapshot.
 */
import { consoleLogger, type Logger } from '../core/log.js';
import type { ErrorCode } from '../core/error-codes.js';
import { errorMessage, unknownViewError, ViewcastError } from '../core/errors.js';
import type { Engine, Subscription, SubscriptionProblem, Timestamp } from '../engine/types.js';
import { BatchBuilder, type Batch } from './batch-builder.js';
import { systemClock, type Clock } from '../core/clock.js';
import { IsolatedListeners } from './isolated-listeners.js';
import { DEFAULT_MAX_HELD_MOMENTS, MomentAssembler, type HubBatch } from './moment-assembler.js';
import type { Moment, MomentListener } from './moment.js';
import type { RetentionLimits } from './retention-log.js';
import { DEFAULT_RETENTION, ViewChannel } from './view-channel.js';
import { ViewHealth, type StatusListener, type ViewStatus } from './view-health.js';

export type { ViewStatus, StatusListener };

export interface HubOptions {
  retention?: RetentionLimits;
  /** A view that delivers nothing for this long is reported stuck and no longer holds the others back. */
  stuckAfterMs?: number;
  /** How long `start` waits for every view's snapshot. */
  startTimeoutMs?: number;
  /** Moments held for a slow view before the views holding them back are released. */
  maxHeldMoments?: number;
  clock?: Clock;
  log?: Logger;
}

export const HUB_DEFAULTS = { stuckAfterMs: 30_000, startTimeoutMs: 120_000 };

export class Hub {
  private readonly channels = new Map<string, ViewChannel>();
  private readonly subscriptions: Subscription[] = [];
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly momentListeners: IsolatedListeners<[Moment]>;
  private readonly statusListeners: IsolatedListeners<[string, ViewStatus]>;
  private health: ViewHealth;
  private assembler: MomentAssembler;
  private ready = false;
  private stopWatchdog: (() => void) | null = null;
  /** The last timestamp a batch was delivered at, and the clock's time when it first was (`progressTime`). */
  private clockTimestamp: Timestamp | null = null;
  private clockTime = 0;

  constructor(
    private readonly engine: Engine,
    private readonly options: HubOptions = {},
  ) {
    this.log = options.log ?? consoleLogger();
    this.clock = options.clock ?? systemClock;
    this.momentListeners = new IsolatedListeners('moment', this.log);
    this.statusListeners = new IsolatedListeners('view status', this.log);
    this.health = new ViewHealth([], this.clock, this.stuckAfterMs, this.statusListeners);
    this.assembler = this.newAssembler();
  }

  private get stuckAfterMs(): number {
    return this.options.stuckAfterMs ?? HUB_DEFAULTS.stuckAfterMs;
  }

  private newAssembler(): MomentAssembler {
    return new MomentAssembler(
      this.channels,
      this.health,
      (moment) => this.momentListeners.emitOne(moment),
      this.options.maxHeldMoments ?? DEFAULT_MAX_HELD_MOMENTS,
      (views, why) => this.log.warn(`views ${views.join(', ')} no longer hold the others back: ${why}`),
    );
  }

  /** Subscribes to every view and resolves once each has its snapshot; rejects after the start timeout. */
  async start(): Promise<void> {
    const names = this.engine.views.map((v) => v.name);
    this.health = new ViewHealth(names, this.clock, this.stuckAfterMs, this.statusListeners);
    this.assembler = this.newAssembler();
    const waiting = new Set(names);
    let settle: { resolve: () => void; reject: (error: Error) => void } | null = null;
    const started = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    const delivered = (view: string): void => {
      if (waiting.delete(view) && waiting.size === 0) settle?.resolve();
    };
    const cancelTimeout = this.clock.schedule(
      this.options.startTimeoutMs ?? HUB_DEFAULTS.startTimeoutMs,
      () =>
        settle?.reject(
          new ViewcastError(
            'VIEWCAST_START_TIMEOUT',
            `views ${[...waiting].join(', ')} delivered no snapshot within ` +
              `${this.options.startTimeoutMs ?? HUB_DEFAULTS.startTimeoutMs} ms of start-up; check the engine ` +
              '(or the remote engine) for those views.',
          ),
        ),
    );
    for (const info of this.engine.views) {
      const channel = new ViewChannel(info, this.options.retention ?? DEFAULT_RETENTION, this.log);
      this.channels.set(info.name, channel);
      this.subscribeTo(channel, delivered, (error) => settle?.reject(error));
    }
    if (names.length === 0) settle!.resolve();
    try {
      await started;
    } finally {
      cancelTimeout();
    }
    this.ready = true;
    this.assembler.begin();
    this.watch();
  }

  private subscribeTo(
    channel: ViewChannel,
    delivered: (view: string) => void,
    fail: (e: Error) => void,
  ): void {
    const view = channel.name;
    // After a restart (a remote engine that reconnected) the first batch is a whole new snapshot.
    let restarted = false;
    const onBatch = (batch: Batch): void => {
      this.onBatch(channel, restarted ? { ...batch, replaces: true } : batch);
      restarted = false;
      delivered(view);
    };
    const onInterrupted = (problem: SubscriptionProblem): void => this.interrupted(view, problem, fail);
    const { engine } = this;
    if (engine.subscribeBatches) {
      // The engine assembles the batches itself (in process): no row objects, no builder.
      const onRestart = (): void => void (restarted = true);
      this.subscriptions.push(
        engine.subscribeBatches(view, { snapshot: true, onRestart, onInterrupted }, onBatch),
      );
      return;
    }
    const consolidated = engine.consolidated === true;
    let builder = new BatchBuilder(onBatch, consolidated);
    const onRestart = (): void => {
      restarted = true;
      builder = new BatchBuilder(onBatch, consolidated);
    };
    this.subscriptions.push(
      engine.subscribe(view, { snapshot: true, onRestart, onInterrupted }, (rows) => builder.push(rows)),
    );
  }

  private interrupted(view: string, problem: SubscriptionProblem, fail: (error: Error) => void): void {
    const message = errorMessage(problem.error);
    if (!problem.fatal) {
      this.health.reconnecting(view, message);
      return;
    }
    const code = (
      problem.error instanceof ViewcastError ? problem.error.code : 'VIEWCAST_ENGINE'
    ) as ErrorCode;
    this.log.error(`view ${view}: its subscription failed for good (${code}): ${message}`);
    this.health.failed(view, code, [{ view, sqlstate: 'XX000', message }]);
    if (!this.ready) fail(problem.error);
    else this.assembler.flush();
  }

  private onBatch(channel: ViewChannel, batch: HubBatch): void {
    const known = batch.replaces ? this.assembler.knownAt(channel.name) : undefined;
    if (known !== undefined) {
      // Timestamps only grow: a new snapshot older than the state is taken at the state's timestamp.
      batch = { ...batch, timestamp: Math.max(batch.timestamp, known) };
    }
    this.health.progressed(channel.name, batch.timestamp, this.progressTime(batch.timestamp));
    if (!this.ready) return this.assembler.applyNow(channel, batch);
    // Silence is judged by the watchdog only: views of one engine deliver a timestamp one after the
    // other, and judging on arrival would release the ones whose turn had not come yet.
    this.assembler.add(channel, batch);
  }

  /**
   * When a view delivered its batch at `timestamp`. An engine in this process (`subscribeBatches`)
   * hands every view's batch of a timestamp in one synchronous run once started, so the clock is read
   * once per timestamp instead of once per view (that read cost more than the rest of an unchanged
   * view's batch); batches from elsewhere arrive when they do, and are timed one by one.
   */
  private progressTime(timestamp: Timestamp): number {
    if (!this.ready || !this.engine.subscribeBatches) return this.clock.now();
    if (timestamp !== this.clockTimestamp) {
      this.clockTimestamp = timestamp;
      this.clockTime = this.clock.now();
    }
    return this.clockTime;
  }

  /** Reports views silent for longer than the bound, and publishes the moments they held back. */
  checkProgress(): void {
    const released = this.health.releaseSilent();
    if (released.length === 0) return;
    this.log.warn(
      `views ${released.join(', ')} delivered nothing for ${this.stuckAfterMs} ms: reported stuck; ` +
        'the other views go on without them',
    );
    this.assembler.flush();
  }

  private watch(): void {
    const tick = (): void => {
      this.checkProgress();
      this.stopWatchdog = this.clock.schedule(Math.max(1, this.stuckAfterMs / 4), tick);
    };
    this.stopWatchdog = this.clock.schedule(Math.max(1, this.stuckAfterMs / 4), tick);
  }

  /** Listens to every published moment. A listener that throws is logged once and skipped. */
  onMoment(listener: MomentListener): () => void {
    return this.momentListeners.add(listener);
  }

  /** Listens to changes of any view's status. A listener that throws is logged once and skipped. */
  onStatus(listener: StatusListener): () => void {
    return this.statusListeners.add(listener);
  }

  /** The view's health, or undefined for a view the hub does not have. */
  status(view: string): ViewStatus | undefined {
    return this.health.status(view);
  }

  statuses(): Record<string, ViewStatus> {
    return this.health.statuses();
  }

  /** Moments published so far. */
  get moments(): number {
    return this.assembler.moments;
  }

  /** Moments held back, waiting for a slower view. */
  get heldMoments(): number {
    return this.assembler.held;
  }

  get views(): ViewChannel[] {
    return [...this.channels.values()];
  }

  get viewNames(): string[] {
    return [...this.channels.keys()];
  }

  channel(name: string): ViewChannel | undefined {
    return this.channels.get(name);
  }

  require(name: string): ViewChannel {
    const channel = this.channels.get(name);
    if (!channel) throw unknownViewError(name, this.channels.keys());
    return channel;
  }

  /** The newest timestamp every view has reached: a dashboard is consistent at this moment. */
  get timestamp(): Timestamp | null {
    if (this.ready) return this.assembler.consistent;
    let min: Timestamp | null = null;
    for (const channel of this.channels.values()) {
      if (channel.timestamp === null) return null;
      min = min === null ? channel.timestamp : Math.min(min, channel.timestamp);
    }
    return min;
  }

  close(): void {
    this.stopWatchdog?.();
    this.stopWatchdog = null;
    for (const subscription of this.subscriptions.splice(0)) subscription.close();
  }
}
