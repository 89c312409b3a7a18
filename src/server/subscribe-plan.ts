/**
 * What a client's (re)subscribe is sent, decided before anything is sent: per asked-for view, in hub
 * order (the order frames list views in), either its `error` frame (the view is in error), a
 * snapshot or reset (no position to resume from, or the retention log no longer reaches back), or
 * the logged batches after the position it resumes from, regrouped by timestamp so that each
 * timestamp goes out as one `batch` frame over all the resumed views.
 */
import type { Timestamp } from '../engine/types.js';
import type { Hub } from '../hub/hub.js';
import type { PublishedBatch, ViewChannel } from '../hub/view-channel.js';
import type { ResetReason } from '../hub/wire.js';
import type { FailingViews } from './failing-views.js';

export interface SubscribePlan {
  /** Each asked-for view's position until its frames are sent (null: nothing yet), in hub order. */
  positions: Array<[view: string, at: Timestamp | null]>;
  /** The `error` frames of the views in error, which are followed but not shown. */
  errors: Buffer[];
  /** Views that start over: a `snapshot` (reason null) or a `reset` with the reason. */
  fresh: Array<{ channel: ViewChannel; reason: ResetReason | null }>;
  /** Views resumed from the retention log. */
  resumed: string[];
  /** The resumed views' logged batches as `[view, fragment]` parts, by timestamp, oldest first. */
  replay: Array<[Timestamp, Array<[view: string, fragment: string]>]>;
  /** The oldest position a view resumed from (null: none resumed). */
  oldest: Timestamp | null;
}

export function planSubscribe(
  hub: Hub,
  views: readonly string[],
  sinceOf: (view: string) => Timestamp | null,
  failing: FailingViews,
  now: Timestamp,
  fragmentOf: (batch: PublishedBatch) => string,
): SubscribePlan {
  const plan: SubscribePlan = { positions: [], errors: [], fresh: [], resumed: [], replay: [], oldest: null };
  const replay = new Map<Timestamp, Array<[string, string]>>();
  for (const channel of hub.views) {
    if (!views.includes(channel.name)) continue;
    const error = failing.check(channel.name, now);
    if (error) {
      plan.positions.push([channel.name, null]);
      plan.errors.push(error);
      continue;
    }
    const since = sinceOf(channel.name);
    const log = since === null ? null : channel.replayFrom(since);
    // Until its snapshot or reset is sent, a resuming client is still at `since` in this view.
    plan.positions.push([channel.name, since]);
    if (since === null || log === null || log.kind === 'snapshot') {
      plan.fresh.push({ channel, reason: log?.kind === 'snapshot' ? log.reason : null });
      continue;
    }
    plan.resumed.push(channel.name);
    plan.oldest = plan.oldest === null ? since : Math.min(plan.oldest, since);
    for (const batch of log.batches) {
      let parts = replay.get(batch.timestamp);
      if (!parts) replay.set(batch.timestamp, (parts = []));
      parts.push([channel.name, fragmentOf(batch)]);
    }
  }
  plan.replay = [...replay].sort(([a], [b]) => a - b);
  return plan;
}
