/** Helpers for tests of the Postgres-wire server: a server on port 0 over an app's hub, and waits on view events. */
import pg from 'pg';
import type { Hub } from '../../src/hub/hub.js';
import type { ViewChannel } from '../../src/hub/view-channel.js';
import { startPgServer, type RunningPgServer } from '../../src/pgwire/server.js';
import { quietLog } from './server.js';

/** A generous statement timeout: the machines that run the tests are shared and often loaded. */
export const TEST_PG_SETTINGS = { statementTimeoutMs: 60_000 };

export async function startTestPgServer(hub: Hub, password: string | null = null): Promise<RunningPgServer> {
  return startPgServer({
    hub,
    host: '127.0.0.1',
    port: 0,
    password,
    log: quietLog,
    settings: TEST_PG_SETTINGS,
  });
}

/** Resolves once `predicate` holds for the channel, checked now and after every batch or progress step. */
export function waitForChannel(
  channel: ViewChannel,
  predicate: (channel: ViewChannel) => boolean,
): Promise<void> {
  return new Promise((resolve) => {
    if (predicate(channel)) return resolve();
    const stop = channel.listenProgress(() => {
      if (!predicate(channel)) return;
      stop();
      resolve();
    });
  });
}

export async function pgClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/** The SQLSTATE a query fails with. */
export async function sqlstateOf(client: pg.Client, sql: string): Promise<{ code: string; message: string }> {
  try {
    await client.query(sql);
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return { code, message };
  }
  throw new Error(`expected "${sql}" to fail`);
}

/**
 * Waits, by FETCH on a SUBSCRIBE cursor (no polling), until `view` on the server at `url` has
 * progressed past `timestamp`, i.e. its state at `timestamp` is complete there.
 */
export async function waitForProgress(url: string, view: string, timestamp: number): Promise<void> {
  const client = await pgClient(url);
  try {
    await client.query('BEGIN');
    await client.query(`DECLARE w CURSOR FOR SUBSCRIBE ${view} WITH (PROGRESS, SNAPSHOT = false)`);
    for (;;) {
      const result = await client.query({ text: "FETCH ALL w WITH (timeout = '5s')", rowMode: 'array' });
      const rows = result.rows as unknown[][];
      if (rows.some((row) => row[1] === true && Number(row[0]) > timestamp)) return;
    }
  } finally {
    await client.end();
  }
}
