/**
 * One view in the hub: its current contents as a multiset, the timestamp they are valid at, and the
 * listeners to its batches. Frames are serialized once per batch (and the snapshot once per
 * timestamp) and the same string goes to every subscriber.
 */
import { Multiset } from '../core/multiset.js';
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
  private snapshotCache: { timestamp: Timestamp; frame: string } | null = null;

  constructor(readonly info: ViewInfo) {}

  get name(): string {
    return this.info.name;
  }

  /** Applies a batch and hands it to every listener, which must not throw. */
  apply(batch: Batch): void {
    this.rows.applyAll(batch.changes);
    this.timestamp = batch.timestamp;
    if (batch.changes.length === 0) return;
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
