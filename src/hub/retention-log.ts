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
  /**
   * A ring of at most `limits.batches` slots: the kept batches are the `count` slots from `head` on.
   * Nothing is copied or shifted as batches come and go (the log is full most of the time, and drops
   * one batch per batch appended).
   */
  private readonly entries: Array<T | undefined> = [];
  /** Each slot's bytes and timestamp, so dropping the oldest batch does not read its (long cold) object. */
  private readonly sizes: number[] = [];
  private readonly stamps: Timestamp[] = [];
  private head = 0;
  private count = 0;
  private totalBytes = 0;
  /** The log holds every change after this timestamp (and none before or at it). */
  private horizonTimestamp: Timestamp;
  private readonly capacity: number;

  constructor(
    private readonly limits: RetentionLimits,
    start: Timestamp,
  ) {
    this.horizonTimestamp = start;
    this.capacity = Math.max(1, limits.batches);
  }

  get horizon(): Timestamp {
    return this.horizonTimestamp;
  }

  get length(): number {
    return this.count;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  append(entry: T): void {
    if (this.count === this.capacity) this.dropOldest();
    const slot = this.slot(this.count);
    this.entries[slot] = entry;
    this.sizes[slot] = entry.bytes;
    this.stamps[slot] = entry.timestamp;
    this.count++;
    this.totalBytes += entry.bytes;
    while (this.count > this.limits.batches || (this.totalBytes > this.limits.bytes && this.count > 0))
      this.dropOldest();
  }

  /** The slot of the `index`th kept batch, oldest first. */
  private slot(index: number): number {
    const slot = this.head + index;
    return slot < this.capacity ? slot : slot - this.capacity;
  }

  private dropOldest(): void {
    const slot = this.head;
    // A dropped batch must not stay reachable: the byte limit bounds the memory the log holds, not
    // just what it serves.
    this.entries[slot] = undefined;
    this.totalBytes -= this.sizes[slot] as number;
    this.horizonTimestamp = this.stamps[slot] as Timestamp;
    this.head = this.slot(1);
    this.count--;
  }

  /** Whether every change after `since` is still here. */
  reaches(since: Timestamp): boolean {
    return since >= this.horizonTimestamp;
  }

  /** The batches after `since`, oldest first, or null when the log no longer reaches back to it. */
  since(since: Timestamp): T[] | null {
    if (!this.reaches(since)) return null;
    let low = 0;
    let high = this.count;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.stamps[this.slot(mid)] as Timestamp) <= since) low = mid + 1;
      else high = mid;
    }
    const batches: T[] = [];
    for (let index = low; index < this.count; index++) batches.push(this.entries[this.slot(index)] as T);
    return batches;
  }
}
