/**
 * SUBSCRIBE of queries over served views with real clients (psycopg 3, node-postgres) against a live
 * viewcast fed by the simulator: the query runs on the delta path (no fallback is logged), its
 * rows equal the query applied to the view's rows at every timestamp both streams progressed past,
 * identical queries share one pipeline (the `viewcast_maintained_queries` metric says so), and the
 * pipeline stops when the last client disconnects.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type pg from 'pg';
import type { App } from '../src/cli/app.js';
import { queryChannels } from '../src/hub/query-channels.js';
import { startPgServer, type RunningPgServer } from '../src/pgwire/server.js';
import { recordingLog } from './support/fake-engine.js';
import { pgClient, TEST_PG_SETTINGS, waitForChannel } from './support/pg-wire.js';
import { startTestApp } from './support/server.js';
import { projectRoot, recording, RECORDING_2476 } from './support/shared-data.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';

type Rows = unknown[][];

/**
 * Per progress timestamp P: the multiset (row JSON -> count) of everything sent before P. The
 * first progress row (at AS OF, before the snapshot) says nothing about the state: skipped.
 */
function statesAt(rows: Rows, columns: number): Map<number, Map<string, number>> {
  const states = new Map<number, Map<string, number>>();
  const current = new Map<string, number>();
  let first = true;
  for (const row of rows) {
    if (row[1] === true) {
      if (!first) states.set(Number(row[0]), new Map(current));
      first = false;
      continue;
    }
    const key = JSON.stringify(row.slice(3, 3 + columns));
    const n = (current.get(key) ?? 0) + Number(row[2]);
    if (n === 0) current.delete(key);
    else current.set(key, n);
  }
  return states;
}

describe('SUBSCRIBE of queries with psycopg and node-postgres', { timeout: 180_000 }, () => {
  let app: App;
  let server: RunningPgServer;
  const log = recordingLog();

  before(async () => {
    // Simulated edits, and real ones at their recorded pace, looped: simulated names never start with an A.
    app = await startTestApp([
      ...['--source', 'simulate', '--rate', '200', '--seed', '5', '--memory'],
      ...['--source', `replay:${recording(RECORDING_2476)}`, '--speed', '1', '--loop'],
    ]);
    await waitForChannel(app.hub.require('user_edits'), (c) => c.rows.size >= 20);
    server = await startPgServer({
      hub: app.hub,
      host: '127.0.0.1',
      port: 0,
      password: null,
      log,
      settings: TEST_PG_SETTINGS,
    });
  });

  after(async () => {
    await server?.close();
    await app?.close();
  });

  /** Fetches from cursors `query` and `view` until both progressed past `beyond` and the query changed. */
  async function fetchBoth(client: pg.Client, beyond: number): Promise<{ query: Rows; view: Rows }> {
    const out = { query: [] as Rows, view: [] as Rows };
    const progressed = (rows: Rows): boolean => rows.some((r) => r[1] === true && Number(r[0]) > beyond);
    // The query changed after its snapshot (so there is something to compare).
    const changed = (rows: Rows): boolean =>
      rows.some((r) => r[1] === false && Number(r[0]) > Number(rows[0]?.[0]));
    while (!progressed(out.query) || !progressed(out.view) || !changed(out.query)) {
      for (const cursor of ['query', 'view'] as const) {
        const result = await client.query({
          text: `FETCH ALL ${cursor} WITH (timeout = '1s')`,
          rowMode: 'array',
        });
        out[cursor].push(...(result.rows as Rows));
      }
    }
    return out;
  }

  /** The query's states against `expected` of the view's states, at every common timestamp. */
  async function checkAgainstView(
    sql: string,
    columns: number,
    expected: (view: Map<string, number>) => Map<string, number>,
  ): Promise<number> {
    const client = await pgClient(server.url);
    try {
      await client.query('BEGIN');
      await client.query(`DECLARE query CURSOR FOR SUBSCRIBE (${sql}) WITH (PROGRESS)`);
      await client.query('DECLARE view CURSOR FOR SUBSCRIBE user_edits WITH (PROGRESS)');
      const start = app.hub.timestamp ?? 0;
      const { query, view } = await fetchBoth(client, start + 1500);
      const queryStates = statesAt(query, columns);
      const viewStates = statesAt(view, 2);
      let compared = 0;
      for (const [timestamp, state] of queryStates) {
        const viewState = viewStates.get(timestamp);
        if (!viewState) continue;
        assert.deepEqual(state, expected(viewState), `at ${timestamp}`);
        compared++;
      }
      await client.query('COMMIT');
      return compared;
    } finally {
      await client.end();
    }
  }

  it('psycopg streams SUBSCRIBE (SELECT count(*) FROM user_edits WHERE count > 10): a snapshot, then progress and diffs', async () => {
    const { stdout } = await run(PYTHON, [
      `${projectRoot}test/support/psycopg-subscribe-query.py`,
      server.url,
      'SELECT count(*) FROM user_edits WHERE count > 10',
    ]);
    const { rows } = JSON.parse(stdout) as { rows: Rows };
    const [first, ...rest] = rows;
    assert.equal(first?.[1], true, 'the first row is a progress row');
    const snapshot = rest.filter((r) => r[1] === false && r[0] === first?.[0]);
    assert.equal(snapshot.length, 1, 'one row: the count');
    assert.equal(snapshot[0]?.[2], 1);
    assert.match(String(snapshot[0]?.[3]), /^\d+$/);
    const progress = rows.filter((r) => r[1] === true).map((r) => BigInt(r[0] as string));
    assert.ok(progress.length >= 3, 'progress rows follow the moments');
    for (let i = 1; i < progress.length; i++)
      assert.ok((progress[i] as bigint) > (progress[i - 1] as bigint));
    // The script stops at the first change after three progress rows (or after 3 s of progress).
    const later = rest.filter((r) => r[1] === false && r[0] !== first?.[0]);
    for (const row of later) assert.ok([1, -1].includes(Number(row[2])), String(row));
    assert.ok(!log.lines.some((l) => l.includes('re-evaluated')), log.lines.join('\n'));
  });

  it('node-postgres: count(*) WHERE count > 10 equals the view filtered, at every timestamp', async () => {
    const compared = await checkAgainstView('SELECT count(*) FROM user_edits WHERE count > 10', 1, (view) => {
      let n = 0;
      for (const [key, copies] of view) if (Number((JSON.parse(key) as unknown[])[1]) > 10) n += copies;
      return new Map([[JSON.stringify([String(n)]), 1]]);
    });
    assert.ok(compared >= 2, `compared at ${compared} timestamps`);
  });

  it(`node-postgres: SELECT * FROM user_edits WHERE "user" LIKE 'A%' equals the view filtered`, async () => {
    const compared = await checkAgainstView(`SELECT * FROM user_edits WHERE "user" LIKE 'A%'`, 2, (view) => {
      return new Map([...view].filter(([key]) => String((JSON.parse(key) as unknown[])[0]).startsWith('A')));
    });
    assert.ok(compared >= 2, `compared at ${compared} timestamps`);
    assert.ok(!log.lines.some((l) => l.includes('re-evaluated')), log.lines.join('\n'));
  });

  it('two clients with the same query share one pipeline, which stops when both disconnect', async () => {
    const registry = queryChannels(app.hub);
    const metric = async (): Promise<string> => {
      const text = await (await fetch(`${app.url}/metrics`)).text();
      return text
        .split('\n')
        .filter((l) => l.startsWith('viewcast_maintained_queries{'))
        .join(' ');
    };
    assert.equal(registry.size, 0);
    const one = await pgClient(server.url);
    const two = await pgClient(server.url);
    for (const [client, sql] of [
      [one, 'SELECT "user", count FROM user_edits WHERE count >= 3'],
      [two, 'select "user",  count  from user_edits where count >= 3'],
    ] as const) {
      await client.query('BEGIN');
      await client.query(`DECLARE q CURSOR FOR SUBSCRIBE (${sql}) WITH (PROGRESS)`);
      const first = await client.query({ text: 'FETCH ALL q', rowMode: 'array' });
      assert.ok(first.rows.length > 1, 'progress and the snapshot');
    }
    assert.equal(registry.size, 1);
    assert.equal(registry.subscribers, 2);
    assert.match(await metric(), /kind="pipelines"} 1 .*kind="subscribers"} 2/);
    // A different constant is a different query.
    await one.query(
      `DECLARE other CURSOR FOR SUBSCRIBE (SELECT "user", count FROM user_edits WHERE count >= 4)`,
    );
    assert.equal(registry.size, 2);
    await one.end();
    await server.whenSessions(1);
    assert.equal(registry.size, 1);
    assert.equal(registry.subscribers, 1);
    await two.end();
    await server.whenSessions(0);
    assert.equal(registry.size, 0);
    assert.match(await metric(), /kind="pipelines"} 0 .*kind="subscribers"} 0/);
  });

  it('a query the delta path does not maintain (a join) still streams, re-evaluated, with the reason logged', async () => {
    const client = await pgClient(server.url);
    try {
      await client.query('BEGIN');
      await client.query(
        'DECLARE j CURSOR FOR SUBSCRIBE (SELECT t."user", u.count FROM top10 t JOIN user_edits u USING ("user")) WITH (PROGRESS)',
      );
      const result = await client.query({ text: "FETCH ALL j WITH (timeout = '10s')", rowMode: 'array' });
      const data = (result.rows as Rows).filter((r) => r[1] === false);
      assert.equal(data.length, 10, 'the ten users of top10');
      assert.equal(queryChannels(app.hub).size, 0);
      assert.ok(
        log.lines.some((l) => /re-evaluated per moment, not incremental: .*joins/.test(l)),
        log.lines.join('\n'),
      );
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
  });
});
