/**
 * On a gateway (`--engine postgres://...`) the views are the remote engine's: `SUBSCRIBE (SELECT
 * ...)` is not compiled on the gateway's delta path but passed to the remote engine at every
 * moment, as before; the gateway's log says so once. The engine itself, another viewcast,
 * maintains nothing for it (it answers SELECTs).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import type { App } from '../src/cli/app.js';
import { startRemoteApp, type RemoteApp } from '../src/cli/remote-app.js';
import { queryChannels } from '../src/hub/query-channels.js';
import type { RunningPgServer } from '../src/pgwire/server.js';
import { recordingLog } from './support/fake-engine.js';
import { pgClient, startTestPgServer, waitForChannel } from './support/pg-wire.js';
import { freePort } from './support/process.js';
import { serveOptions, startTestApp } from './support/server.js';

describe('SUBSCRIBE of a query through a gateway', { timeout: 180_000 }, () => {
  let engine: App;
  let enginePg: RunningPgServer;
  let gateway: RemoteApp;
  let client: pg.Client;
  const log = recordingLog();

  before(async () => {
    engine = await startTestApp(['--source', 'simulate', '--rate', '200', '--seed', '9', '--memory']);
    await waitForChannel(engine.hub.require('top10'), (c) => c.rows.size === 10);
    enginePg = await startTestPgServer(engine.hub);
    const pgPort = await freePort();
    gateway = await startRemoteApp(
      serveOptions(['--engine', enginePg.url, '--pg-port', String(pgPort), '--pg-statement-timeout', '60']),
      log,
    );
    client = await pgClient(`postgresql://materialize@127.0.0.1:${pgPort}/materialize`);
  });

  after(async () => {
    await client?.end();
    await gateway?.close();
    await enginePg?.close();
    await engine?.close();
  });

  it('streams the query as answered by the remote engine, with the reason logged', async () => {
    await client.query('BEGIN');
    await client.query(
      'DECLARE q CURSOR FOR SUBSCRIBE (SELECT count(*) FROM top10 WHERE count > 0) WITH (PROGRESS)',
    );
    const rows: unknown[][] = [];
    while (!rows.some((r) => r[1] === true && Number(r[0]) > Number(rows[0]?.[0]))) {
      const result = await client.query({ text: "FETCH ALL q WITH (timeout = '5s')", rowMode: 'array' });
      rows.push(...(result.rows as unknown[][]));
    }
    const data = rows.filter((r) => r[1] === false);
    assert.deepEqual(data[0]?.slice(2), ['1', '10']);
    await client.query('COMMIT');
    assert.equal(queryChannels(gateway.hub).size, 0);
    assert.equal(queryChannels(engine.hub).size, 0);
    assert.ok(
      log.lines.some((l) => /re-evaluated per moment, not incremental: .*remote engine/.test(l)),
      log.lines.join('\n'),
    );
  });
});
