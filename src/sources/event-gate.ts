/**
 * What every source that reads someone else's events does before handing one over: drop canary
 * events, and drop an event whose `meta.id` was seen recently (a resumed stream re-delivers some).
 * Memory is bounded: the oldest ids are forgotten first, which is safe because re-deliveries are
 * always recent.
 */
import { isCanary, metaId } from './event-schema.js';
import type { RawEvent } from './types.js';

export const DEFAULT_DEDUPE_CAPACITY = 100_000;

/** The most recent `capacity` ids, in arrival order, with constant-time lookup. */
export class RecentIds {
  private readonly ring: Array<string | undefined>;
  private readonly members = new Set<string>();
  private next = 0;

  constructor(readonly capacity = DEFAULT_DEDUPE_CAPACITY) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
    this.ring = new Array<string | undefined>(capacity);
  }

  get size(): number {
    return this.members.size;
  }

  has(id: string): boolean {
    return this.members.has(id);
  }

  /** Remembers `id`; returns false when it was already known (then nothing changes). */
  add(id: string): boolean {
    if (this.members.has(id)) return false;
    const evicted = this.ring[this.next];
    if (evicted !== undefined) this.members.delete(evicted);
    this.ring[this.next] = id;
    this.next = (this.next + 1) % this.capacity;
    this.members.add(id);
    return true;
  }

  /** The last `count` ids added, oldest first. */
  latest(count: number): string[] {
    const out: string[] = [];
    for (let i = Math.min(count, this.members.size); i >= 1; i--) {
      const id = this.ring[(this.next - i + this.capacity) % this.capacity];
      if (id !== undefined) out.push(id);
    }
    return out;
  }
}

export type GateVerdict = 'pass' | 'canary' | 'duplicate';

export class EventGate {
  readonly seen: RecentIds;

  constructor(capacity = DEFAULT_DEDUPE_CAPACITY) {
    this.seen = new RecentIds(capacity);
  }

  /** Whether to hand the event over; a passed event's id is remembered. */
  admit(event: RawEvent): GateVerdict {
    if (isCanary(event)) return 'canary';
    const id = metaId(event);
    if (id === null) return 'pass';
    return this.seen.add(id) ? 'pass' : 'duplicate';
  }
}
