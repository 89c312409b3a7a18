/**
 * A moment is everything that changed in all views at one engine timestamp. The hub publishes a
 * moment only once every view has progressed past its timestamp, so a client that applies a moment
 * at once never shows one view from one instant and another view from another.
 */
import type { Timestamp } from '../engine/types.js';
import type { PublishedBatch } from './view-channel.js';
import { keyedLiveFrame, keyedSingleFrame } from './keyed-wire.js';
import { batchFrame } from './wire.js';

export class Moment {
  /** Views that changed, in the hub's view order. */
  readonly changed: PublishedBatch[];
  // Built on first use: a moment is made per transaction, and most have no reader of these.
  private byView: Map<string, PublishedBatch> | null = null;
  private frames: Map<string, Buffer> | null = null;
  /** Frames (or null: nothing changed) by the followed views' key, see `frameForKey`. */
  private byKey: Map<string, Buffer | null> | null = null;
  /** Keyed-form frames by the same key (`1\n` first for one-view streams). */
  private keyed: Map<string, Buffer | null> | null = null;

  constructor(
    readonly timestamp: Timestamp,
    changed: PublishedBatch[],
  ) {
    this.changed = changed;
  }

  batch(view: string): PublishedBatch | undefined {
    if (this.byView === null) {
      this.byView = new Map();
      for (const batch of this.changed) this.byView.set(batch.view, batch);
    }
    return this.byView.get(view);
  }

  /**
   * The `batch` frame with the changes of those of `views` that changed, or null when none did.
   * Built once per distinct combination of views, from fragments serialized once per view, and
   * encoded once: every client following the same views is sent the very same bytes.
   */
  frameFor(views: FollowedViews): Buffer | null {
    const parts: Array<[string, string]> = [];
    let key = '';
    for (const batch of this.changed) {
      if (!views.has(batch.view)) continue;
      parts.push([batch.view, batch.fragment]);
      key += `${batch.view}\n`;
    }
    if (parts.length === 0) return null;
    this.frames ??= new Map();
    let frame = this.frames.get(key);
    if (frame === undefined) {
      frame = Buffer.from(batchFrame(this.timestamp, parts));
      this.frames.set(key, frame);
    }
    return frame;
  }

  /**
   * `frameFor`, remembered under `key`, a caller's stable name for its set of views: thousands of
   * clients that follow the same views cost one map lookup each.
   */
  frameForKey(key: string, views: FollowedViews): Buffer | null {
    this.byKey ??= new Map();
    let frame = this.byKey.get(key);
    if (frame === undefined) {
      frame = this.frameFor(views);
      this.byKey.set(key, frame);
    }
    return frame;
  }

  /**
   * The keyed form's live frame for `views` (keyed-wire.ts), or null when none of them changed:
   * `[dt,{view: entry}]`, or `[dt,upserted,removed]` for a stream of one view (`single`). Cached
   * like `frameForKey`, under the same key: every keyed client of the same views shares the bytes.
   */
  keyedFrameForKey(key: string, views: FollowedViews, single: boolean): Buffer | null {
    this.keyed ??= new Map();
    const cacheKey = single ? `1\n${key}` : key;
    let frame = this.keyed.get(cacheKey);
    if (frame !== undefined) return frame;
    const shown = this.changed.filter((batch) => views.has(batch.view));
    frame = null;
    if (shown.length > 0) {
      const dt = this.timestamp - Math.max(...shown.map((batch) => batch.previousBase));
      const only = shown.length === 1 && single ? shown[0] : undefined;
      frame = Buffer.from(
        only
          ? keyedSingleFrame(dt, only.keyedEntry)
          : keyedLiveFrame(
              dt,
              shown.map((batch) => [batch.view, batch.keyedEntry] as const),
            ),
      );
    }
    this.keyed.set(cacheKey, frame);
    return frame;
  }
}

export interface FollowedViews {
  has(view: string): boolean;
}

export type MomentListener = (moment: Moment) => void;
