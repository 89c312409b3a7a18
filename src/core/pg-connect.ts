/** Opening a node-postgres connection, the same way for upstream Postgres and a remote engine. */
import type pg from 'pg';

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
