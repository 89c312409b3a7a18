/**
 * Which of one client's followed views it was told are in error, and when to look again: only when
 * some view's status changed at all (one number compared per moment, however many views it follows).
 */
import type { Timestamp } from '../engine/types.js';
import type { Hub } from '../hub/hub.js';
import { statusVersion, viewError, viewErrorFrame } from './view-errors.js';

export interface ErrorChanges {
  /** Views that went into error, with the `error` frame to send for each. */
  failed: Array<[view: string, frame: Buffer]>;
  /** Views that are no longer in error; they count as failing until `recovered` is called. */
  recovered: string[];
}

export class FailingViews {
  private readonly failing = new Set<string>();
  private readonly statuses: { readonly value: number };
  /** The hub's status version `failing` was last compared with. */
  private seen: number;

  constructor(private readonly hub: Hub) {
    this.statuses = statusVersion(hub);
    this.seen = this.statuses.value;
  }

  has(view: string): boolean {
    return this.failing.has(view);
  }

  /** A view (re)subscribed: its `error` frame when it is in error now (it is failing then), else null. */
  check(view: string, timestamp: Timestamp): Buffer | null {
    const error = viewError(this.hub, view);
    if (!error) {
      this.failing.delete(view);
      return null;
    }
    this.failing.add(view);
    return viewErrorFrame(error, timestamp);
  }

  delete(view: string): void {
    this.failing.delete(view);
  }

  recovered(view: string): void {
    this.failing.delete(view);
  }

  /**
   * What changed among the followed views (`followed()`, in the order to tell them) since the last
   * call; null when no view's status changed at all (then `followed` is not even called).
   */
  changes(followed: () => Iterable<string>, timestamp: Timestamp): ErrorChanges | null {
    if (this.seen === this.statuses.value) return null;
    this.seen = this.statuses.value;
    const changes: ErrorChanges = { failed: [], recovered: [] };
    for (const view of followed()) {
      const error = viewError(this.hub, view);
      if (error && !this.failing.has(view)) {
        this.failing.add(view);
        changes.failed.push([view, viewErrorFrame(error, timestamp)]);
      } else if (!error && this.failing.has(view)) changes.recovered.push(view);
    }
    return changes;
  }
}
