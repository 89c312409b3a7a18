/**
 * Which failures of a connection to Postgres are worth retrying. A lost or refused connection (the
 * server restarting, a network blip) is retried with backoff; what a retry cannot fix (bad password,
 * no such database, a privilege) stops the source with a message that says what to do.
 */
import { ViewcastError, errorMessage } from '../../core/errors.js';
import { replicationPrivilegeError, slotLostError } from './errors.js';
import { SlotInUse } from './replication-slot.js';

/**
 * SQLSTATEs a retry fixes: connection exceptions, the server shutting down or starting, resources,
 * and 55006 (the slot is still held by a connection the server has not yet seen go).
 */
const TRANSIENT = [/^08/, /^57P0[1-4]$/, /^53/, /^58/, /^55006$/];

export function isTransient(error: unknown): boolean {
  if (error instanceof SlotInUse) return true;
  if (error instanceof ViewcastError) return false;
  const sqlstate = (error as { code?: unknown }).code;
  if (typeof sqlstate !== 'string' || /^[A-Z]+$/.test(sqlstate)) return true; // ECONNREFUSED, ECONNRESET, none
  return TRANSIENT.some((pattern) => pattern.test(sqlstate));
}

/** A clear error for a failure that is not transient. */
export function explainFailure(
  error: unknown,
  context: { server: string; user: string; slot: string; position: string },
): Error {
  if (error instanceof ViewcastError) return error;
  const sqlstate = (error as { code?: unknown }).code;
  const message = errorMessage(error);
  if (sqlstate === '42501' && /replication|walsender/i.test(message))
    return replicationPrivilegeError(context.server, context.user);
  if (sqlstate === '42704' && /replication slot/i.test(message))
    return slotLostError(context.slot, context.position, 'no longer exists');
  if (typeof sqlstate === 'string' && sqlstate.startsWith('28')) {
    return new ViewcastError(
      'VIEWCAST_PG_LOGIN',
      `Postgres at ${context.server} refused the login of "${context.user}" (${message}). Fix the user ` +
        `or password in --source, or pg_hba.conf on the server (it must allow both normal and ` +
        `replication connections from this host), then start viewcast again.`,
      { cause: error },
    );
  }
  if (sqlstate === '3D000') {
    return new ViewcastError(
      'VIEWCAST_PG_DATABASE',
      `${message} on ${context.server}: fix the database name in --source, then start viewcast again.`,
      { cause: error },
    );
  }
  return new ViewcastError(
    'VIEWCAST_PG_FAILED',
    `Replication from ${context.server} failed: ${message}${typeof sqlstate === 'string' ? ` (SQLSTATE ${sqlstate})` : ''}. ` +
      `Fix the cause upstream, then start viewcast again; it resumes where it stopped.`,
    { cause: error },
  );
}
