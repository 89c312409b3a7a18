/**
 * Which errors of a remote subscription a new connection can cure. A lost connection, a remote that
 * is restarting or out of resources: subscribe again. A view whose columns changed, a view the remote
 * no longer has, SQL or credentials it refuses, output viewcast cannot read: the same request would
 * fail the same way forever, so the subscription ends and the view is reported in error.
 */
import pg from 'pg';
import { errorMessage, ViewcastError } from '../../core/errors.js';
import { isConnectionError } from './connect.js';

/** SQLSTATE classes whose errors do not go away by asking again. */
const FATAL_CLASSES = new Set(['0A', '28', '42']);

/** The fatal form of `error`, or null when subscribing again may succeed. */
export function fatalRemoteError(error: unknown, view: string, remote: string): ViewcastError | null {
  if (error instanceof ViewcastError) return error.retryable ? null : error;
  if (!(error instanceof pg.DatabaseError) || isConnectionError(error)) return null;
  const code = error.code ?? '';
  if (code === '42P01' || /unknown catalog item|does not exist/i.test(error.message)) {
    return new ViewcastError(
      'VIEWCAST_UNKNOWN_VIEW',
      `view ${view} no longer exists on the engine at ${remote} (${errorMessage(error)}); restart viewcast ` +
        'once the remote has the view again, or remove it from ?views=.',
      { cause: error },
    );
  }
  if (!FATAL_CLASSES.has(code.slice(0, 2))) return null;
  return new ViewcastError(
    'VIEWCAST_REMOTE_REFUSED',
    `the engine at ${remote} refuses to SUBSCRIBE to ${view}: ${errorMessage(error)} (SQLSTATE ${code}).`,
    { cause: error },
  );
}
