/**
 * The recent batches of one view, bounded by count and by encoded bytes, so that a client that
 * reconnects with the last timestamp it saw can be sent exactly what it missed. When the oldest
 * batch is dropped the log's horizon moves up to it: a client at a timestamp older than the horizon
 * cannot be served from the log and gets a fresh snapshot instead. Never a silent gap.
 */
import type { Timestamp } from '../engine/types.js';

export interface RetentionLimits {
  /** Most batches kept per view. */
  batches: number;
  /** Most encoded bytes kept per view. */
  bytes: number;
}

export interface LoggedBatch {
  timestamp: Timestamp;
  /** Encoded size, counted against the byte limit. */
  bytes: number;
}

export class RetentionLog<T extends LoggedBatch> {
  /** Kept batches from `head` on; slots before it are dropped (cleared, so nothing holds them). */
  private entries: Array<T | undefined> = [];
  private head = 0;
  private totalBytes = 0;
  /** The log holds every change after this timestamp (and none before or at it). */
  private horizonTimestamp: Timestamp;

  constructor(
    private readonly limits: RetentionLimits,
    start: Timestamp,
  ) {
    this.horizonTimestamp = start;
  }

  get horizon(): Timestamp {
    return this.horizonTimestamp;
  }

  get length(): number {
    return this.entries.length - this.head;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  append(entry: T): void {
    this.entries.push(entry);
    this.totalBytes += entry.bytes;
    while (this.length > this.limits.batches || (this.totalBytes > this.limits.bytes && this.length > 0)) {
      const dropped = this.entries[this.head] as T;
      // A dropped batch must not stay reachable until the next compaction: the byte limit bounds
      // the memory the log holds, not just what it serves.
      this.entries[this.head++] = undefined;
      this.totalBytes -= dropped.bytes;
      this.horizonTimestamp = dropped.timestamp;
    }
    // Compact now and then instead of shifting the array on every drop.
    if (this.head > 64 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** Whether every change after `since` is still here. */
  reaches(since: Timestamp): boolean {
    return since >= this.horizonTimestamp;
  }

  /** The batches after `since`, oldest first, or null when the log no longer reaches back to it. */
  since(since: Timestamp): T[] | null {
    if (!this.reaches(since)) return null;
    let low = this.head;
    let high = this.entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.entries[mid] as T).timestamp <= since) low = mid + 1;
      else high = mid;
    }
    return this.entries.slice(low) as T[];
  }
}
