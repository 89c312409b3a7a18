/**
 * Turns SUBSCRIBE output rows into batches: data rows are buffered until a progress row, then
 * consolidated into one batch. A progress row at P means every change before P has been sent, so
 * the view is complete at P - 1: that is the timestamp the batch carries.
 */
import { consolidate, type Change } from '../core/multiset.js';
import type { SubscribeRow, Timestamp } from '../engine/types.js';

export interface Batch {
  timestamp: Timestamp;
  /** Consolidated: one entry per distinct row, diffs never zero. Empty for a pure progress step. */
  changes: Change[];
}

export class BatchBuilder {
  private buffer: Change[] = [];
  private frontier: Timestamp | null = null;

  constructor(private readonly emit: (batch: Batch) => void) {}

  push(rows: Iterable<SubscribeRow>): void {
    for (const row of rows) {
      if (!row.progressed) {
        if ('row' in row) this.buffer.push([row.row, row.diff]);
        continue;
      }
      if (this.frontier !== null && row.timestamp <= this.frontier) continue; // progress never goes back
      const first = this.frontier === null;
      this.frontier = row.timestamp;
      // The very first progress row only opens the subscription; the snapshot follows it.
      if (first && this.buffer.length === 0) continue;
      const changes = consolidate(this.buffer);
      this.buffer = [];
      this.emit({ timestamp: row.timestamp - 1, changes });
    }
  }
}
