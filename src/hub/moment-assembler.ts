/**
 * Batches are held until every view has progressed past their timestamp and are then published
 * together as one moment: all views of an engine share timestamps, and a dashboard must never mix
 * them. A view the health tracker released (stuck past the bound, failed for good) no longer holds
 * the others back; when it comes back, the changes it sends for moments already published are merged
 * into its first batch after them, so its clients catch up with one net diff. Held moments are
 * bounded: past the bound the views holding them back are released.
 */
import { consolidate } from '../core/multiset.js';
import type { Timestamp } from '../engine/types.js';
import type { Batch } from './batch-builder.js';
import { Moment } from './moment.js';
import type { ViewChannel, PublishedBatch } from './view-channel.js';
import type { ViewHealth } from './view-health.js';

/** A batch, or (after an engine restart) a whole new snapshot that replaces the view's rows. */
export type HubBatch = Batch & { replaces?: boolean };

export const DEFAULT_MAX_HELD_MOMENTS = 10_000;

/** Emptied batch lists kept for the next timestamps (one is in use at a time when live). */
const SPARE_BATCH_LISTS = 4;

export class MomentAssembler {
  /** Each view's position in the hub's view order: its index in `known` and in a timestamp's batches. */
  private readonly positions = new Map<string, number>();
  /** The hub's views by position (walked per moment without a Map iterator). */
  private readonly ordered: ViewChannel[] = [];
  /** By view position: its health record (`released`: it no longer holds the others back). */
  private readonly records: Array<{ readonly released: boolean }> = [];
  /** By view position: the newest timestamp the view is known complete at (its last batch, empty or not). */
  private readonly known: Array<Timestamp | undefined> = [];
  /** Batches waiting for the slower views to reach their timestamp, by view position. */
  private readonly pending = new Map<Timestamp, Array<HubBatch | undefined>>();
  /** Emptied batch lists of published moments, reused: a moment allocates no list of its own. */
  private readonly spare: Array<Array<HubBatch | undefined>> = [];
  /** The batches published at the timestamp being published (`publishAt`), emptied after. */
  private readonly collected: Array<PublishedBatch | undefined> = [];
  /** Per returning view: its changes at timestamps already published, for its next batch. */
  private readonly late = new Map<string, HubBatch>();
  /**
   * The newest timestamp every view that holds moments back has reached (null: some view has none
   * yet), and how many of those views are exactly there. A batch of a view that is not at the floor
   * cannot complete a moment, so `add` only recomputes the floor when its last holder moves on:
   * one walk over the views per timestamp instead of one per view's batch.
   */
  private floor: Timestamp | null = null;
  private holders = 0;
  /** The timestamp of the last published moment. */
  consistent: Timestamp | null = null;
  moments = 0;

  constructor(
    private readonly channels: Map<string, ViewChannel>,
    private readonly health: ViewHealth,
    private readonly publish: (moment: Moment) => void,
    private readonly maxHeld: number,
    private readonly onReleased: (views: string[], why: string) => void,
  ) {}

  get held(): number {
    return this.pending.size;
  }

  knownAt(view: string): Timestamp | undefined {
    const position = this.positions.get(view);
    return position === undefined ? undefined : this.known[position];
  }

  /** The view's index in the hub's order; views are only ever added to the hub, at its end. */
  private position(view: string): number {
    let position = this.positions.get(view);
    if (position === undefined) {
      this.numberViews();
      position = this.positions.get(view);
      if (position === undefined) throw new Error(`view "${view}" is not one of the hub's views`);
    }
    return position;
  }

  private numberViews(): void {
    for (const [name, channel] of this.channels) {
      if (this.positions.has(name)) continue;
      this.ordered[this.positions.size] = channel;
      this.records[this.positions.size] = this.health.record(name);
      this.positions.set(name, this.positions.size);
    }
  }

  /** Before every view has its snapshot there is no client to keep consistent: apply at once. */
  applyNow(channel: ViewChannel, batch: HubBatch): void {
    this.known[this.position(channel.name)] = batch.timestamp;
    this.applyTo(channel, batch);
  }

  /** Every view has its snapshot: moments start at the slowest view's timestamp. */
  begin(): void {
    // Every view is numbered from here on: `complete` and `publishAt` read them by position.
    this.numberViews();
    this.consistent = this.complete();
    this.flush();
  }

  add(channel: ViewChannel, batch: HubBatch): void {
    const view = channel.name;
    const at = this.position(view);
    const wasReleased = this.records[at]?.released === true;
    if (wasReleased && this.consistent !== null && batch.timestamp <= this.consistent) {
      // Back, but behind the moments already published: keep its changes for its next batch.
      this.known[at] = batch.timestamp;
      this.late.set(view, merge(this.late.get(view), batch));
      return;
    }
    const late = this.late.size > 0 ? this.late.get(view) : undefined;
    if (late) {
      this.late.delete(view);
      batch = merge(late, batch);
    }
    if (wasReleased) this.health.rejoin(view);
    const before = this.known[at];
    this.known[at] = batch.timestamp;
    let batches = this.pending.get(batch.timestamp);
    if (!batches) this.pending.set(batch.timestamp, (batches = this.spare.pop() ?? []));
    // A batch that changes nothing is progress alone (most views at most timestamps): `known` has
    // it, and the moment advances the view without it (publishAt).
    if (batch.changes.length > 0 || batch.errors || batch.replaces || channel.timestamp === null)
      batches[at] = batch;
    if (this.pending.size > this.maxHeld) this.releaseSlowest();
    else if (!wasReleased && this.floor !== null && before !== undefined) {
      // Timestamps of a view only grow, and an unreleased view is never below the floor.
      if (before > this.floor) return;
      if (--this.holders > 0) return;
    }
    this.flush();
  }

  /** The newest timestamp every view that still holds moments back has reached; sets the floor. */
  private complete(): Timestamp | null {
    let min: Timestamp | null = null;
    let holders = 0;
    for (let at = 0; at < this.channels.size; at++) {
      const known = this.known[at];
      if (this.records[at]?.released === true) continue;
      if (known === undefined) {
        min = null;
        break;
      }
      if (min === null || known < min) {
        min = known;
        holders = 1;
      } else if (known === min) holders++;
    }
    this.floor = min;
    this.holders = min === null ? 0 : holders;
    return min;
  }

  private releaseSlowest(): void {
    const holding = [...this.channels.keys()].filter((name) => !this.health.released(name));
    const knownOf = (name: string): Timestamp => this.known[this.position(name)] ?? -Infinity;
    const slowest = Math.min(...holding.map(knownOf));
    const views = holding.filter((name) => knownOf(name) === slowest);
    for (const view of views) this.health.release(view);
    this.onReleased(views, `more than ${this.maxHeld} moments were waiting for them`);
  }

  /** Publishes, oldest first, every held moment that all unreleased views have progressed past. */
  flush(): void {
    const complete = this.complete();
    if (complete === null) return;
    if (this.pending.size === 1 && this.pending.has(complete)) {
      // The live case: the one timestamp held is published when its last view delivers it.
      this.publishAt(complete);
      return;
    }
    let due: Timestamp[] | null = null;
    for (const timestamp of this.pending.keys()) if (timestamp <= complete) (due ??= []).push(timestamp);
    if (due === null) return;
    if (due.length > 1) due.sort((a, b) => a - b);
    for (const timestamp of due) this.publishAt(timestamp);
  }

  private publishAt(timestamp: Timestamp): void {
    const batches = this.pending.get(timestamp) as Array<HubBatch | undefined>;
    this.pending.delete(timestamp);
    // The changed views are collected in a list kept for that, and the moment gets an exact copy.
    const collected = this.collected;
    let changes = 0;
    if (this.ordered.length !== this.channels.size) this.numberViews();
    const { ordered } = this;
    for (let at = 0; at < ordered.length; at++) {
      const channel = ordered[at] as ViewChannel;
      const batch = batches[at];
      if (batch !== undefined) {
        batches[at] = undefined;
        const published = this.applyTo(channel, batch);
        if (published) collected[changes++] = published;
      } else if (this.records[at]?.released !== true) {
        channel.advance(timestamp);
      }
    }
    if (this.spare.length < SPARE_BATCH_LISTS) this.spare.push(batches);
    this.consistent = timestamp;
    this.moments++;
    const changed = collected.slice(0, changes) as PublishedBatch[];
    // Emptied by hand: `length = 0` would drop the list's storage, to be grown again next time.
    collected.fill(undefined, 0, changes);
    this.publish(new Moment(timestamp, changed));
  }

  private applyTo(channel: ViewChannel, batch: HubBatch): PublishedBatch | null {
    if (batch.errors) this.health.setErrors(channel.name, batch.errors);
    // A replacement is published as the difference to the rows held, like any batch.
    return batch.replaces ? channel.replace(batch) : channel.apply(batch);
  }
}

/** Two consecutive batches of one view as one: a replacement supersedes what came before it. */
function merge(earlier: HubBatch | undefined, later: HubBatch): HubBatch {
  if (!earlier || later.replaces) return later;
  const merged: HubBatch = {
    timestamp: later.timestamp,
    changes: consolidate([...earlier.changes, ...later.changes]),
  };
  if (earlier.replaces) merged.replaces = true;
  const errors = later.errors ?? earlier.errors;
  if (errors) merged.errors = errors;
  return merged;
}
