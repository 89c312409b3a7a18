/**
 * What a slow client is sent once it has drained (client-session.ts), decided before anything is
 * sent: per shown view, in hub order, its whole state (a snapshot when the client had nothing of it
 * yet, a reset when the retention log no longer reaches back to where it is), nothing (it is
 * current), or its net change since then, merged from the log. The net changes go out together in
 * one `batch` frame after the states.
 */
import type { Timestamp } from '../engine/types.js';
import type { Hub } from '../hub/hub.js';
import type { ViewChannel } from '../hub/view-channel.js';
import { catchUpEntry } from './session-frames.js';

export interface CatchUpPlan {
  /** Views sent whole, in hub order: a `snapshot` (reason null) or a `reset` (reason `behind`). */
  states: Array<{ channel: ViewChannel; reason: 'behind' | null }>;
  /** Views the client already has as they are now. */
  current: string[];
  /** The net changes as `[view, fragment]` parts (keyed entries for a keyed client). */
  parts: Array<[view: string, fragment: string]>;
  /** For a keyed client: the views whose next live frame counts from their last batch, not from now. */
  bases: Array<[view: string, base: Timestamp]>;
}

/**
 * `positions`: the timestamp the client has each followed view at (null: nothing yet);
 * `shown(view)`: whether the view's frames are sent (it is not in error).
 */
export function planCatchUp(
  hub: Hub,
  positions: ReadonlyMap<string, Timestamp | null>,
  shown: (view: string) => boolean,
  keyed: boolean,
  now: Timestamp,
): CatchUpPlan {
  const plan: CatchUpPlan = { states: [], current: [], parts: [], bases: [] };
  for (const channel of hub.views) {
    const view = channel.name;
    if (!positions.has(view) || !shown(view)) continue;
    const at = positions.get(view) ?? null;
    if (at === null) {
      plan.states.push({ channel, reason: null });
      continue;
    }
    const change = channel.catchUp(at);
    if (change.kind === 'snapshot') plan.states.push({ channel, reason: 'behind' });
    else if (change.kind === 'current') plan.current.push(view);
    else {
      plan.parts.push([view, keyed ? catchUpEntry(channel, change) : change.fragment]);
      if (keyed && channel.base !== null && channel.base !== now) plan.bases.push([view, channel.base]);
    }
  }
  return plan;
}
