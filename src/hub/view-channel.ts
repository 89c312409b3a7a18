/**
 * One view in the hub: its current contents as a multiset, the timestamp they are valid at, and the
 * listeners to its batches. Frames are serialized once per batch (and the snapshot once per
 * timestamp) and the same string goes to every subscriber.
 */
import { difference, Multiset } from '../core/multiset.js';
import type { Timestamp, ViewInfo } from '../engine/types.js';
import type { Batch } from './batch-builder.js';
import { toStreamMessage } from './wire.js';

export interface PublishedBatch extends Batch {
  view: string;
  /** The batch as a `/api/stream` message, serialized once. */
  readonly streamFrame: string;
}

export type BatchListener = (batch: PublishedBatch) => void;

export class ViewChannel {
  readonly rows = new Multiset();
  /** The timestamp the rows are valid at; null until the first snapshot arrived. */
  timestamp: Timestamp | null = null;
  private readonly listeners = new Set<BatchListener>();
  private readonly progressListeners = new Set<(timestamp: Timestamp) => void>();
  /** Times the engine subscribed again from scratch (a remote engine after a lost connection). */
  resets = 0;
  private snapshotCache: { timestamp: Timestamp; frame: string } | null = null;

  constructor(readonly info: ViewInfo) {}

  get name(): string {
    return this.info.name;
  }

  /** Applies a batch and hands it to every listener, which must not throw. */
  apply(batch: Batch): void {
    this.rows.applyAll(batch.changes);
    this.timestamp = batch.timestamp;
    if (batch.changes.length > 0) this.publish(batch);
    for (const listener of this.progressListeners) listener(batch.timestamp);
  }

  /**
   * Takes a fresh snapshot in place of the current state (the engine subscribed again) and
   * publishes the difference as an ordinary batch, so every client converges without a reset.
   * Timestamps only grow: a snapshot older than the state is published at the state's timestamp.
   */
  replace(snapshot: Batch): void {
    const next = new Multiset();
    next.applyAll(snapshot.changes);
    const changes = difference(this.rows, next);
    this.resets += 1;
    this.apply({ timestamp: Math.max(snapshot.timestamp, this.timestamp ?? snapshot.timestamp), changes });
  }

  /** Called after every batch, an empty one too: the view is complete at `timestamp`. */
  listenProgress(listener: (timestamp: Timestamp) => void): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  private publish(batch: Batch): void {
    let frame: string | null = null;
    const published: PublishedBatch = {
      ...batch,
      view: this.name,
      get streamFrame() {
        frame ??= JSON.stringify(toStreamMessage(batch.changes, batch.timestamp));
        return frame;
      },
    };
    for (const listener of this.listeners) listener(published);
  }

  /** The whole current state as one `/api/stream` message, cached per timestamp. */
  snapshotFrame(): string {
    const timestamp = this.timestamp ?? 0;
    if (this.snapshotCache?.timestamp !== timestamp) {
      this.snapshotCache = {
        timestamp,
        frame: JSON.stringify(toStreamMessage(this.rows.counted(), timestamp)),
      };
    }
    return this.snapshotCache.frame;
  }

  listen(listener: BatchListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}
