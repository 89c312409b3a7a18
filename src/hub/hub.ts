/**
 * The hub subscribes once to every view of the engine and keeps each view's state, so that any
 * number of clients are served from memory: a new client gets the current state at once, then the
 * same batches as everyone else.
 *
 * Batches are held until every view has progressed past their timestamp and then published together
 * as one moment: all views of an engine share timestamps, and a dashboard must never mix them.
 */
import type { Engine, Subscription, Timestamp } from '../engine/types.js';
import { ViewcastError } from '../core/errors.js';
import { BatchBuilder, type Batch } from './batch-builder.js';
import { Moment, type MomentListener } from './moment.js';
import type { RetentionLimits } from './retention-log.js';
import { DEFAULT_RETENTION, ViewChannel, type PublishedBatch } from './view-channel.js';

/** A batch, or (after an engine restart) a whole new snapshot that replaces the view's rows. */
type HubBatch = Batch & { replaces?: boolean };

export interface HubOptions {
  retention?: RetentionLimits;
}

export class Hub {
  private readonly channels = new Map<string, ViewChannel>();
  private readonly subscriptions: Subscription[] = [];
  private readonly momentListeners = new Set<MomentListener>();
  /** Per view: the newest timestamp it is known complete at (its last batch, empty or not). */
  private readonly known = new Map<string, Timestamp>();
  /** Batches waiting for the slower views to reach their timestamp. */
  private readonly pending = new Map<Timestamp, Map<string, HubBatch>>();
  private ready = false;
  private consistent: Timestamp | null = null;
  /** Moments published so far. */
  moments = 0;

  constructor(
    private readonly engine: Engine,
    private readonly options: HubOptions = {},
  ) {}

  /** Subscribes to every view and resolves once each has its snapshot. */
  async start(): Promise<void> {
    const ready: Promise<void>[] = [];
    for (const info of this.engine.views) {
      const channel = new ViewChannel(info, this.options.retention ?? DEFAULT_RETENTION);
      this.channels.set(info.name, channel);
      ready.push(
        new Promise((resolve) => {
          // After a restart (a remote engine that reconnected) the first batch is a whole new snapshot.
          let restarted = false;
          const onBatch = (batch: Batch): void => {
            this.onBatch(channel, restarted ? { ...batch, replaces: true } : batch);
            restarted = false;
            resolve();
          };
          let builder = new BatchBuilder(onBatch);
          const onRestart = (): void => {
            restarted = true;
            builder = new BatchBuilder(onBatch);
          };
          this.subscriptions.push(
            this.engine.subscribe(info.name, { snapshot: true, onRestart }, (rows) => builder.push(rows)),
          );
        }),
      );
    }
    await Promise.all(ready);
    this.ready = true;
    this.consistent = this.minimumKnown();
    this.flush();
  }

  private onBatch(channel: ViewChannel, batch: HubBatch): void {
    if (batch.replaces) {
      // Timestamps only grow: a new snapshot older than the state is taken at the state's timestamp.
      batch = { ...batch, timestamp: Math.max(batch.timestamp, this.known.get(channel.name) ?? 0) };
    }
    this.known.set(channel.name, batch.timestamp);
    if (!this.ready) {
      // Until every view has its snapshot there is no client to keep consistent: apply at once.
      if (batch.replaces) channel.replace(batch);
      else channel.apply(batch);
      return;
    }
    let batches = this.pending.get(batch.timestamp);
    if (!batches) this.pending.set(batch.timestamp, (batches = new Map()));
    batches.set(channel.name, batch);
    this.flush();
  }

  private minimumKnown(): Timestamp | null {
    let min: Timestamp | null = null;
    for (const name of this.channels.keys()) {
      const known = this.known.get(name);
      if (known === undefined) return null;
      min = min === null ? known : Math.min(min, known);
    }
    return min;
  }

  /** Publishes, oldest first, every pending moment that all views have progressed past. */
  private flush(): void {
    const complete = this.minimumKnown();
    if (complete === null) return;
    const due = [...this.pending.keys()].filter((t) => t <= complete).sort((a, b) => a - b);
    for (const timestamp of due) {
      const batches = this.pending.get(timestamp) as Map<string, HubBatch>;
      this.pending.delete(timestamp);
      const changed: PublishedBatch[] = [];
      for (const channel of this.channels.values()) {
        const batch = batches.get(channel.name);
        if (batch) {
          // A replacement is published as the difference to the rows held, like any batch.
          const published = batch.replaces ? channel.replace(batch) : channel.apply(batch);
          if (published) changed.push(published);
        } else {
          channel.advance(timestamp);
        }
      }
      this.consistent = timestamp;
      this.moments++;
      const moment = new Moment(timestamp, changed);
      for (const listener of this.momentListeners) listener(moment);
    }
  }

  /** Listens to every published moment; listeners must not throw. */
  onMoment(listener: MomentListener): () => void {
    this.momentListeners.add(listener);
    return () => this.momentListeners.delete(listener);
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
    if (!channel) {
      throw new ViewcastError(
        'VIEWCAST_UNKNOWN_VIEW',
        `unknown view "${name}"; known views: ${[...this.channels.keys()].join(', ')}`,
      );
    }
    return channel;
  }

  /** The newest timestamp every view has reached: a dashboard is consistent at this moment. */
  get timestamp(): Timestamp | null {
    if (this.ready) return this.consistent;
    let min: Timestamp | null = null;
    for (const channel of this.channels.values()) {
      if (channel.timestamp === null) return null;
      min = min === null ? channel.timestamp : Math.min(min, channel.timestamp);
    }
    return min;
  }

  close(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.close();
  }
}
