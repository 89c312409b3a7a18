/**
 * The embedded engine's subscribers and what each is sent: the opening rows (progress, the view's
 * errors if it is in error, the snapshot, progress past it), then per published transaction the
 * view's changes and a progress row. A subscriber whose snapshot is still on its way is not live:
 * commits published before its snapshot are already part of that snapshot.
 *
 * A subscriber in this process (the hub) may take each timestamp as one assembled batch instead
 * (`Engine.subscribeBatches`): the engine's consolidated changes are handed on as they are, where
 * the row form costs an object per change per subscriber that the subscriber then turns back into
 * the same batch.
 */
import type { Change } from '../../core/multiset.js';
import type {
  SubscribeListener,
  SubscribeRow,
  Timestamp,
  ViewBatch,
  ViewBatchListener,
  ViewErrorInfo,
} from '../types.js';

/** How a subscriber takes its view: SUBSCRIBE rows, or one assembled batch per timestamp. */
export type SubscriberSink = { rows: SubscribeListener } | { batches: ViewBatchListener };

export interface Subscriber {
  view: string;
  sink: SubscriberSink;
  snapshot: boolean;
  live: boolean;
  closed: boolean;
}

/** A view's subscribers, and its part of the transaction being published. */
interface ViewSlot {
  subscribers: Set<Subscriber>;
  changes: Change[] | null;
  /** The view's whole error list when it changed in this transaction (empty: no longer in error). */
  errors: ViewErrorInfo[] | undefined;
}

export class Subscribers {
  /** By view, kept across transactions: publishing allocates no lookup of its own. */
  private readonly views = new Map<string, ViewSlot>();

  add(subscriber: Subscriber): () => void {
    let slot = this.views.get(subscriber.view);
    if (!slot) {
      slot = { subscribers: new Set(), changes: null, errors: undefined };
      this.views.set(subscriber.view, slot);
    }
    const { subscribers } = slot;
    subscribers.add(subscriber);
    return () => {
      subscriber.closed = true;
      subscribers.delete(subscriber);
    };
  }

  /** Sends the opening rows and makes the subscriber live. */
  open(subscriber: Subscriber, timestamp: Timestamp, rows: Change[], errors: ViewErrorInfo[]): void {
    if (subscriber.closed) return;
    subscriber.live = true;
    const { sink } = subscriber;
    if ('batches' in sink) {
      const batch: ViewBatch = { timestamp, changes: subscriber.snapshot ? rows : [] };
      if (errors.length > 0) batch.errors = errors;
      sink.batches(batch);
      return;
    }
    const out: SubscribeRow[] = [{ progressed: true, timestamp }];
    if (errors.length > 0) out.push({ progressed: false, timestamp, errors });
    if (subscriber.snapshot)
      for (const [row, diff] of rows) out.push({ progressed: false, timestamp, diff, row });
    out.push({ progressed: true, timestamp: timestamp + 1 });
    sink.rows(out);
  }

  /**
   * One view's part of the transaction `publish` sends next: its consolidated changes and, when
   * they changed, its errors. The changes are handed to batch subscribers as they are.
   */
  stage(view: string, changes: Change[], errors?: ViewErrorInfo[]): void {
    const slot = this.views.get(view);
    if (!slot) return;
    slot.changes = changes;
    slot.errors = errors;
  }

  /** Sends the staged transaction to every live subscriber: its changes, then progress past it. */
  publish(timestamp: Timestamp): void {
    // A transaction changes few of the views: those it left alone share one empty batch.
    let unchanged: ViewBatch | null = null;
    for (const slot of this.views.values()) {
      const { changes, errors } = slot;
      slot.changes = null;
      slot.errors = undefined;
      // One batch for all of the view's batch subscribers: they share it and change nothing in it.
      let batch: ViewBatch | null = changes === null && !errors ? unchanged : null;
      for (const subscriber of slot.subscribers) {
        if (!subscriber.live) continue;
        const { sink } = subscriber;
        if ('batches' in sink) {
          if (batch === null) {
            batch = { timestamp, changes: changes ?? [] };
            if (errors) batch.errors = errors;
            else if (changes === null) unchanged = batch;
          }
          sink.batches(batch);
          continue;
        }
        const out: SubscribeRow[] = [];
        if (errors) out.push({ progressed: false, timestamp, errors });
        if (changes) for (const [row, diff] of changes) out.push({ progressed: false, timestamp, diff, row });
        out.push({ progressed: true, timestamp: timestamp + 1 });
        sink.rows(out);
      }
    }
  }

  clear(): void {
    for (const slot of this.views.values())
      for (const subscriber of slot.subscribers) subscriber.closed = true;
    this.views.clear();
  }
}
