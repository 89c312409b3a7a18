/**
 * A view in error on the Postgres wire, as Materialize answers it: SUBSCRIBE or SELECT over a view
 * in error fails with an ErrorResponse, and a SUBSCRIBE that is running when its view goes into
 * error ends with one. The SQLSTATE is the one the view's SQL failed with (22012 for a division by
 * zero, 22003 for a value out of range), XX000 when there is none; the message names the view, the
 * reason and the failing value; the hint carries the error catalogue's code and what to do.
 */
import { errorInfo, type ErrorCode } from '../core/error-codes.js';
import type { Hub } from '../hub/hub.js';
import { describeViewError, type ViewStatus } from '../hub/view-health.js';
import { PgError, SQLSTATE, type Sqlstate } from './pg-error.js';

export function viewErrorOf(view: string, status: ViewStatus | undefined): PgError | null {
  if (status?.state !== 'error') return null;
  const reported = status.errors[0]?.sqlstate ?? '';
  const sqlstate = (/^[0-9A-Z]{5}$/.test(reported) ? reported : SQLSTATE.internalError) as Sqlstate;
  return new PgError(sqlstate, describeViewError(view, status.errors), {
    hint: `${status.code}: ${errorInfo(status.code as ErrorCode).action}`,
  });
}

/** Throws the view's error while it is in error. */
export function refuseViewInError(hub: Hub, views: Iterable<string>): void {
  for (const view of views) {
    const error = viewErrorOf(view, hub.status(view));
    if (error) throw error;
  }
}

/** Calls `fail` once, when `view` goes into error; returns the function that stops watching. */
export function watchViewError(hub: Hub, view: string, fail: (error: PgError) => void): () => void {
  const stop = hub.onStatus((name, status) => {
    const error = name === view ? viewErrorOf(view, status) : null;
    if (!error) return;
    stop();
    fail(error);
  });
  return stop;
}
