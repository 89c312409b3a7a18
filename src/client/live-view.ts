/**
 * A view in the browser: a multiset of rows plus the timestamp it reflects. Initializing and
 * updating are one operation: the first message of a stream is the whole state, applied to empty.
 */
import { Multiset, type Change, type Row } from '../core/multiset.js';

export interface StreamMessage {
  inserted: Row[];
  deleted: Row[];
  timestamp: number;
}

export class LiveView {
  readonly rows = new Multiset();
  timestamp: number | null = null;

  /** Applies a batch; returns it as changes (row, diff) for listeners. */
  apply(message: StreamMessage): Change[] {
    const changes: Change[] = [];
    for (const row of message.deleted ?? []) changes.push([row, -1]);
    for (const row of message.inserted ?? []) changes.push([row, 1]);
    this.rows.applyAll(changes);
    this.timestamp = message.timestamp;
    return changes;
  }

  reset(): void {
    this.rows.clear();
    this.timestamp = null;
  }
}
