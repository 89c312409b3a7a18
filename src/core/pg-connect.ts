/** Opening a node-postgres connection, the same way for upstream Postgres and a remote engine. */
import type pg from 'pg';
import { UsageError } from './errors.js';

/**
 * Connects `client`; one that fails to connect is ended, so that no half-open socket is left.
 * A connection that dies later reports through 'error' on the client: without a listener Node would
 * treat that as an uncaught exception, so the client gets one, and the pending query (if any) fails
 * too, which is where its users handle errors.
 */
export async function connectOrEnd(client: pg.Client): Promise<pg.Client> {
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

/** A connection URL for logs, status and errors: its password, if any, shown as `***`. */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    // Not a URL, but it may still hold one's `user:password@`.
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

/**
 * The postgres:// (or postgresql://) URL given to `flag`; anything else is refused with a message
 * that shows `example` (and not the password).
 */
export function parsePostgresUrl(text: string, flag: string, example: string): URL {
  let url: URL | null;
  try {
    url = new URL(text);
  } catch {
    url = null;
  }
  if (url === null || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:'))
    throw new UsageError(`${flag} ${withoutPassword(text)} is not a postgres:// URL: use e.g. ${example}.`);
  return url;
}
