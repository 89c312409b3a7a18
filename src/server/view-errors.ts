/**
 * A view in error as every transport tells it: the same body as the 409 of `GET /api/views/:view`
 * (`code`, `message` naming the view, the reason and the failing value, `errors`), so that a reader
 * sees the same error whichever way it reads the view. Only the `error` state counts: a stuck or
 * reconnecting view still has valid (if older) rows.
 */
import type { Timestamp } from '../engine/types.js';
import type { Hub } from '../hub/hub.js';
import { describeViewError, type ViewStatus } from '../hub/view-health.js';
import type { StreamErrorMessage, ViewErrorBody } from '../core/wire-protocol.js';

export function viewErrorBody(view: string, status: ViewStatus | undefined): ViewErrorBody | null {
  if (status?.state !== 'error') return null;
  return { code: status.code, message: describeViewError(view, status.errors), view, errors: status.errors };
}

/** The view's error, or null while it is not in error. */
export function viewError(hub: Hub, view: string): ViewErrorBody | null {
  return viewErrorBody(view, hub.status(view));
}

/** The last message of an `/api/stream/:view` socket whose view is in error. */
export function streamErrorText(body: ViewErrorBody): string {
  return JSON.stringify({ error: body } satisfies StreamErrorMessage);
}

/** The `error` frame of the multiplexed protocol (socket and SSE) for a view in error. */
export function viewErrorFrame(body: ViewErrorBody, timestamp: Timestamp): Buffer {
  return Buffer.from(JSON.stringify({ type: 'error', ...body, timestamp }));
}

/**
 * Counts status changes of a hub's views, so that each of thousands of sessions compares one number
 * per moment instead of looking up every view it follows. One listener per hub.
 */
const versions = new WeakMap<Hub, { value: number }>();
export function statusVersion(hub: Hub): { readonly value: number } {
  let version = versions.get(hub);
  if (!version) {
    const counter = { value: 0 };
    versions.set(hub, (version = counter));
    hub.onStatus(() => counter.value++);
  }
  return version;
}
