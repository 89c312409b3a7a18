/**
 * On a gateway (`--engine postgres://...`), SELECTs of Postgres-wire clients are passed to the
 * remote engine, here another viewcast: the gateway answers with the engine's rows and types.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import type { App } from '../src/cli/app.js';
import { startRemoteApp, type RemoteApp } from '../src/cli/remote-app.js';
import type { RunningPgServer } from '../src/pgwire/server.js';
import { pgClient, startTestPgServer, waitForChannel } from './support/pg-wire.js';
import { freePort } from './support/process.js';
import { quietLog, serveOptions, startTestApp } from './support/server.js';

describe('SELECT through a gateway', { timeout: 180_000 }, () => {
  let engine: App;
  let enginePg: RunningPgServer;
  let gateway: RemoteApp;
  let client: pg.Client;

  before(async () => {
    engine = await startTestApp(['--source', 'simulate', '--rate', '50', '--memory']);
    await waitForChannel(engine.hub.require('top10'), (c) => c.rows.size === 10);
    enginePg = await startTestPgServer(engine.hub);
    const pgPort = await freePort();
    gateway = await startRemoteApp(
      serveOptions(['--engine', enginePg.url, '--pg-port', String(pgPort), '--pg-statement-timeout', '60']),
      quietLog,
    );
    client = await pgClient(`postgresql://materialize@127.0.0.1:${pgPort}/materialize`);
  });

  after(async () => {
    await client?.end();
    await gateway?.close();
    await enginePg?.close();
    await engine?.close();
  });

  it('passes SELECT to the remote engine, with its types', async () => {
    const result = await client.query(
      'SELECT count(*) AS n, max(count) > 0 AS positive FROM top10 WHERE count > $1',
      [0],
    );
    assert.equal(result.rows[0].n, '10');
    assert.equal(result.rows[0].positive, true);
    assert.deepEqual(
      result.fields.map((f) => f.dataTypeID),
      [20, 16],
    );
  });
});
