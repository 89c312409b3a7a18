/**
 * The hub subscribes once to every view of the engine and keeps each view's state, so that any
 * number of clients are served from memory: a new client gets the current state at once, then the
 * same batches as everyone else.
 */
import type { Engine, Subscription, Timestamp } from '../engine/types.js';
import { ViewcastError } from '../errors.js';
import { BatchBuilder, type Batch } from './batch-builder.js';
import { ViewChannel } from './view-channel.js';

export class Hub {
  private readonly channels = new Map<string, ViewChannel>();
  private readonly subscriptions: Subscription[] = [];

  constructor(private readonly engine: Engine) {}

  /** Subscribes to every view and resolves once each has its snapshot. */
  async start(): Promise<void> {
    const ready: Promise<void>[] = [];
    for (const info of this.engine.views) {
      const channel = new ViewChannel(info);
      this.channels.set(info.name, channel);
      ready.push(
        new Promise((resolve) => {
          // After a restart (a remote engine that reconnected) the first batch is a whole new snapshot.
          let restarted = false;
          const onBatch = (batch: Batch): void => {
            if (restarted) channel.replace(batch);
            else channel.apply(batch);
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
  }

  get views(): ViewChannel[] {
    return [...this.channels.values()];
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
