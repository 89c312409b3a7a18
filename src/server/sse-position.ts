/**
 * The SSE event id of a multi-view stream: where the client is in every view it follows, so that a
 * browser's own EventSource, resuming with `Last-Event-ID`, is caught up exactly per view.
 *
 * When every view is at the same timestamp (the steady state: after every batch and progress frame)
 * the id is that timestamp, `1777979860123`, the same for every client, which keeps one encoded
 * chunk per moment. Otherwise it lists one position per view in the order of the stream's URL,
 * empty for a view the client has nothing of yet: `1777979860123,,1777979859000`. A stream that
 * resumes with ids of another shape starts over with snapshots: never a silent gap.
 */
import type { Timestamp } from '../engine/types.js';
import { parseSince } from './client-messages.js';

export type Positions = ReadonlyMap<string, Timestamp | null>;

const SEPARATOR = ',';

/** The id for `positions` over `views` (the stream's views, in its URL's order). */
export function encodeSseId(views: readonly string[], positions: Positions): string {
  const first = positions.get(views[0] ?? '') ?? null;
  let uniform = first !== null;
  for (const view of views) if (positions.get(view) !== first) uniform = false;
  if (uniform) return String(first);
  return views.map((view) => positions.get(view) ?? '').join(SEPARATOR);
}

/**
 * The positions a `Last-Event-ID` stands for over `views`: one timestamp for all, or one per view
 * (null: nothing yet). Null when the id is missing or is not one this server sent.
 */
export function decodeSseId(
  id: string | undefined,
  views: readonly string[],
): Map<string, Timestamp | null> | null {
  if (id === undefined || id.trim() === '') return null;
  const parts = id.split(SEPARATOR);
  if (parts.length === 1) {
    const since = parseSince(id);
    return since === undefined || since === null ? null : new Map(views.map((view) => [view, since]));
  }
  if (parts.length !== views.length) return null;
  const positions = new Map<string, Timestamp | null>();
  for (const [i, view] of views.entries()) {
    const since = parseSince(parts[i]);
    if (since === undefined) return null;
    positions.set(view, since);
  }
  return positions;
}
