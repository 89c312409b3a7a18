/**
 * On a gateway (`--engine postgres://...`) the views are the remote engine's: `SUBSCRIBE (SELECT
 * ...)` is passed through to the remote engine as a SUBSCRIBE of the query, which the remote (here
 * another viewcast) maintains on its delta path. Identical queries share one remote subscription,
 * closed when the last subscriber leaves; the rows are the remote view's, filtered, at every
 * timestamp.
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

type Output = unknown[][];

/** FETCHes from cursor `name` until `done` holds for everything fetched so far. */
async function fetchUntil(client: pg.Client, name: string, rows: Output, done: (rows: Output) => boolean) {
  while (!done(rows)) {
    const result = await client.query({ text: `FETCH ALL ${name} WITH (timeout = '5s')`, rowMode: 'array' });
    rows.push(...(result.rows as Output));
  }
}

/** The state at `timestamp` of a SUBSCRIBE's output: its data rows up to then, summed (as JSON). */
function stateAt(rows: Output, timestamp: number, keep: (row: unknown[]) => boolean = () => true): string[] {
  const counts = new Map<string, number>();
  for (const r of rows) {
    if (r[1] === true || Number(r[0]) > timestamp || !keep(r.slice(3))) continue;
    const key = JSON.stringify(r.slice(3).map(String));
    counts.set(key, (counts.get(key) ?? 0) + Number(r[2]));
  }
  return [...counts].flatMap(([key, n]) => Array<string>(n).fill(key)).sort();
}

const progressedPast = (rows: Output, timestamp: number): boolean =>
  rows.some((r) => r[1] === true && Number(r[0]) > timestamp);

describe('SUBSCRIBE of a query through a gateway', { timeout: 180_000 }, () => {
  let engine: App;
  let enginePg: RunningPgServer;
  let gateway: RemoteApp;
  let gatewayUrl: string;
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
    gatewayUrl = `postgresql://materialize@127.0.0.1:${pgPort}/materialize`;
    client = await pgClient(gatewayUrl);
  });

  after(async () => {
    await client?.end();
    await gateway?.close();
    await enginePg?.close();
    await engine?.close();
  });

  it('streams an aggregate the remote engine maintains', async () => {
    await client.query('BEGIN');
    await client.query(
      'DECLARE q CURSOR FOR SUBSCRIBE (SELECT count(*) FROM top10 WHERE count > 0) WITH (PROGRESS)',
    );
    const rows: Output = [];
    await fetchUntil(client, 'q', rows, (all) =>
      all.some((r) => r[1] === true && Number(r[0]) > Number(all[0]?.[0])),
    );
    const data = rows.filter((r) => r[1] === false);
    assert.deepEqual(data[0]?.slice(2), ['1', '10']);
    assert.equal(queryChannels(engine.hub).size, 1, 'the remote maintains the query');
    assert.equal(queryChannels(gateway.hub).size, 0, 'the gateway maintains nothing itself');
    await client.query('COMMIT');
    // The only subscriber left: the gateway closes its remote subscription, and the remote stops.
    await enginePg.whenSessions(gateway.engine.status().subscriptions + 1);
    assert.equal(queryChannels(engine.hub).size, 0);
    assert.ok(!log.lines.some((l) => /re-evaluated/.test(l)), log.lines.join('\n'));
  });

  it('shares one remote subscription, whose rows are the remote view filtered at every timestamp', async () => {
    const sql = 'SELECT "user", count FROM user_edits WHERE count > 3';
    const keep = (row: unknown[]): boolean => Number(row[1]) > 3;
    // The remote's own view, subscribed first so that its state is known from before the query's snapshot.
    const direct = await pgClient(enginePg.url);
    const second = await pgClient(gatewayUrl);
    try {
      await direct.query('BEGIN');
      await direct.query('DECLARE v CURSOR FOR SUBSCRIBE user_edits WITH (PROGRESS)');
      const view: Output = [];
      await fetchUntil(direct, 'v', view, (all) => all.some((r) => r[1] === false));
      const since = Number(view[0]?.[0]);

      await client.query('BEGIN');
      await client.query(`DECLARE q CURSOR FOR SUBSCRIBE (${sql}) WITH (PROGRESS)`);
      await second.query('BEGIN');
      await second.query(`DECLARE q CURSOR FOR SUBSCRIBE (${sql.replace('WHERE', 'where')}) WITH (PROGRESS)`);
      const query: Output = [];
      const shared: Output = [];
      await fetchUntil(second, 'q', shared, (all) => all.some((r) => r[1] === true));
      assert.equal(queryChannels(engine.hub).size, 1, 'one pipeline on the remote');
      assert.equal(queryChannels(engine.hub).subscribers, 1, 'one remote subscription for both clients');

      // Until the query's rows changed at three timestamps after its snapshot.
      const changedAt = (all: Output): Set<number> =>
        new Set(all.filter((r) => r[1] === false).map((r) => Number(r[0])));
      await fetchUntil(client, 'q', query, (all) => changedAt(all).size >= 4);
      const timestamps = [...new Set(query.map((r) => Number(r[0])))];
      const last = Math.max(...timestamps);
      await fetchUntil(direct, 'v', view, (all) => progressedPast(all, last));
      for (const t of timestamps) {
        assert.ok(t >= since, `query timestamp ${t} before the view's snapshot at ${since}`);
        assert.deepEqual(stateAt(query, t), stateAt(view, t, keep), `state at ${t}`);
      }
      assert.ok(stateAt(query, last).length > 0, 'the query has rows');
      // The second client, on the same remote subscription, sees the same states from its snapshot on.
      await fetchUntil(second, 'q', shared, (all) => progressedPast(all, last));
      const sharedSince = Number(shared[0]?.[0]);
      for (const t of timestamps.filter((t) => t >= sharedSince))
        assert.deepEqual(stateAt(shared, t), stateAt(query, t), `second client's state at ${t}`);

      await client.query('COMMIT');
      await second.query('COMMIT');
    } finally {
      await direct.end();
      await second.end();
    }
    // The last subscriber left (one connection of the gateway stays: the one that answers SELECTs).
    await enginePg.whenSessions(gateway.engine.status().subscriptions + 1);
    assert.equal(queryChannels(engine.hub).size, 0);
  });
});
