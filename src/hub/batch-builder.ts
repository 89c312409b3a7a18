/**
 * Turns SUBSCRIBE output rows into batches: data rows are buffered until a progress row, then
 * consolidated into one batch. A progress row at P means every change before P has been sent, so
 * the view is complete at P - 1: that is the timestamp the batch carries. A row that changes the
 * view's errors (errors are data) rides on the batch of its timestamp.
 */
import { consolidate, type Change } from '../core/multiset.js';
import type { SubscribeRow, Timestamp, ViewBatch, ViewErrorInfo } from '../engine/types.js';

/** What the builder makes; engines that assemble batches themselves hand the same (`subscribeBatches`). */
export type Batch = ViewBatch;

export class BatchBuilder {
  private buffer: Change[] = [];
  private frontier: Timestamp | null = null;
  private errors: ViewErrorInfo[] | undefined;

  /**
   * `consolidated`: the engine sends each timestamp's rows consolidated, with their progress row,
   * in one call (Engine.consolidated); rows carried over from an earlier call are consolidated anyway.
   */
  constructor(
    private readonly emit: (batch: Batch) => void,
    private readonly consolidated = false,
  ) {}

  push(rows: Iterable<SubscribeRow>): void {
    // Whether the buffer holds only rows of this call since its last progress row.
    let fresh = this.buffer.length === 0;
    for (const row of rows) {
      if (!row.progressed) {
        if ('row' in row) this.buffer.push([row.row, row.diff]);
        else this.errors = row.errors; // the latest list within a timestamp is the one that holds
        continue;
      }
      if (this.frontier !== null && row.timestamp <= this.frontier) {
        fresh = false; // progress never goes back: these rows join the next timestamp's
        continue;
      }
      const first = this.frontier === null;
      this.frontier = row.timestamp;
      // The very first progress row only opens the subscription; the snapshot follows it.
      if (first && this.buffer.length === 0 && this.errors === undefined) continue;
      const buffer = this.buffer;
      // One change needs no consolidation (the live case: one event changes one row of a view).
      const single = buffer.length === 1 && (buffer[0] as Change)[1] !== 0;
      const ready = buffer.length === 0 || single || (this.consolidated && fresh);
      const batch: Batch = { timestamp: row.timestamp - 1, changes: ready ? buffer : consolidate(buffer) };
      this.buffer = [];
      fresh = true;
      if (this.errors !== undefined) batch.errors = this.errors;
      this.errors = undefined;
      this.emit(batch);
    }
  }
}
