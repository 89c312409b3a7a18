/**
 * The embedded engine's subscribers and what each is sent: the opening rows (progress, the view's
 * errors if it is in error, the snapshot, progress past it), then per published transaction the
 * view's changes and a progress row. A subscriber whose snapshot is still on its way is not live:
 * commits published before its snapshot are already part of that snapshot.
 */
import type { Change } from '../../core/multiset.js';
import type { SubscribeListener, SubscribeRow, Timestamp, ViewErrorInfo } from '../types.js';

export interface Subscriber {
  view: string;
  listener: SubscribeListener;
  snapshot: boolean;
  live: boolean;
  closed: boolean;
}

/** One view's part of a published transaction. */
export interface PublishedView {
  changes: Change[];
  /** The view's whole error list when it changed in this transaction (empty: no longer in error). */
  errors?: ViewErrorInfo[];
}

export class Subscribers {
  private readonly all = new Set<Subscriber>();

  add(subscriber: Subscriber): () => void {
    this.all.add(subscriber);
    return () => {
      subscriber.closed = true;
      this.all.delete(subscriber);
    };
  }

  /** Sends the opening rows and makes the subscriber live. */
  open(subscriber: Subscriber, timestamp: Timestamp, rows: Iterable<Change>, errors: ViewErrorInfo[]): void {
    if (subscriber.closed) return;
    const out: SubscribeRow[] = [{ progressed: true, timestamp }];
    if (errors.length > 0) out.push({ progressed: false, timestamp, errors });
    if (subscriber.snapshot)
      for (const [row, diff] of rows) out.push({ progressed: false, timestamp, diff, row });
    out.push({ progressed: true, timestamp: timestamp + 1 });
    subscriber.live = true;
    subscriber.listener(out);
  }

  /** Sends one committed transaction to every live subscriber: its changes, then progress past it. */
  publish(timestamp: Timestamp, views: Map<string, PublishedView>): void {
    for (const subscriber of this.all) {
      if (!subscriber.live) continue;
      const view = views.get(subscriber.view);
      const out: SubscribeRow[] = [];
      if (view?.errors) out.push({ progressed: false, timestamp, errors: view.errors });
      for (const [row, diff] of view?.changes ?? []) out.push({ progressed: false, timestamp, diff, row });
      out.push({ progressed: true, timestamp: timestamp + 1 });
      subscriber.listener(out);
    }
  }

  clear(): void {
    for (const subscriber of this.all) subscriber.closed = true;
    this.all.clear();
  }
}
