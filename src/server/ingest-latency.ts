/**
 * Ingest-to-publish latency: a batch's commit (when the ingest pipeline pushed it, in wall-clock ms)
 * paired with the hub's moment at the same engine timestamp. Either may come first (the hub can
 * publish before the commit call returns), so whichever comes first waits for the other.
 */
import type { Timestamp } from '../engine/types.js';

/** Commits and moments waiting for their counterpart; older ones are dropped. */
const MAX_PENDING = 1024;

export class IngestLatency {
  /** Commits whose moment is not published yet: timestamp -> wall-clock ms the batch was pushed. */
  private readonly pushedAt = new Map<Timestamp, number>();
  /** Moments published before their commit returned: timestamp -> wall-clock ms of publishing. */
  private readonly publishedAt = new Map<Timestamp, number>();

  constructor(
    /** Told each pair's latency, in seconds. */
    private readonly observe: (seconds: number) => void,
    private readonly now: () => number,
  ) {}

  /** The batch at `timestamp`, pushed at `pushedAtMs`, was committed. */
  committed(timestamp: Timestamp, pushedAtMs: number): void {
    const published = this.publishedAt.get(timestamp);
    if (published === undefined) {
      remember(this.pushedAt, timestamp, pushedAtMs);
      return;
    }
    this.publishedAt.delete(timestamp);
    this.observe(Math.max(0, published - pushedAtMs) / 1000);
  }

  /** The hub published the moment at `timestamp`. */
  published(timestamp: Timestamp): void {
    const pushed = this.pushedAt.get(timestamp);
    if (pushed === undefined) {
      remember(this.publishedAt, timestamp, this.now());
      return;
    }
    this.pushedAt.delete(timestamp);
    this.observe(Math.max(0, this.now() - pushed) / 1000);
  }
}

function remember(map: Map<Timestamp, number>, timestamp: Timestamp, ms: number): void {
  map.set(timestamp, ms);
  if (map.size > MAX_PENDING) map.delete(map.keys().next().value as Timestamp);
}
