/**
 * SUBSCRIBE over queries and Materialize's SUBSCRIBE options, with node-postgres against a live
 * viewcast (simulated edits). ENVELOPE UPSERT is checked against the example of Materialize's
 * SUBSCRIBE page (https://materialize.com/docs/sql/subscribe/#envelope-upsert): Materialize itself
 * cannot run here, so its documented output is the reference.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import type { App } from '../src/cli/app.js';
import type { RunningPgServer } from '../src/pgwire/server.js';
import { ShapedFeed, subscribeShape } from '../src/pgwire/subscribe-output.js';
import type { FeedRow, SubscriptionFeed } from '../src/pgwire/subscription-feed.js';
import { pgClient, sqlstateOf, startTestPgServer, waitForChannel } from './support/pg-wire.js';
import { startTestApp } from './support/server.js';

/** Materialize's documented example: key/value rows changing at 100..500. */
const DOC_CHANGES: FeedRow[] = [
  ...[
    [1, 2],
    [2, 4],
  ].map((row): FeedRow => ({ progressed: false, timestamp: 100, diff: 1, row })),
  { progressed: true, timestamp: 101 },
  { progressed: false, timestamp: 200, diff: 1, row: [3, 6] },
  { progressed: true, timestamp: 201 },
  { progressed: false, timestamp: 300, diff: -1, row: [1, 2] },
  { progressed: false, timestamp: 300, diff: 1, row: [1, 10] },
  { progressed: true, timestamp: 301 },
  ...[
    [1, 10],
    [2, 4],
    [3, 6],
  ].map((row): FeedRow => ({ progressed: false, timestamp: 400, diff: -1, row })),
  { progressed: true, timestamp: 401 },
  ...[
    [1, 7],
    [1, 8],
  ].map((row): FeedRow => ({ progressed: false, timestamp: 500, diff: 1, row })),
  { progressed: true, timestamp: 501 },
];

describe('SUBSCRIBE output shapes', { timeout: 10_000 }, () => {
  it("ENVELOPE UPSERT (KEY (key)) gives the rows of Materialize's documented example", async () => {
    let given = false;
    const inner = {
      next: async () => (given ? [] : ((given = true), DOC_CHANGES)),
      close: () => undefined,
    } as unknown as SubscriptionFeed;
    const columns = [
      { name: 'key', oid: 23 },
      { name: 'value', oid: 23 },
    ];
    const shape = subscribeShape(columns, false, ['key']);
    assert.deepEqual(
      shape.fields.map((f) => f.name),
      ['mz_timestamp', 'mz_state', 'key', 'value'],
    );
    const feed = new ShapedFeed(inner, false, [0], null);
    const rows = (await feed.next(100, 0, new AbortController().signal)).map(shape.encode);
    assert.deepEqual(rows, [
      ['100', 'upsert', '1', '2'],
      ['100', 'upsert', '2', '4'],
      ['200', 'upsert', '3', '6'],
      ['300', 'upsert', '1', '10'],
      ['400', 'delete', '1', null],
      ['400', 'delete', '2', null],
      ['400', 'delete', '3', null],
      ['500', 'key_violation', '1', null],
    ]);
  });
});

describe('SUBSCRIBE over queries and Materialize options on a live viewcast', { timeout: 300_000 }, () => {
  let app: App;
  let server: RunningPgServer;
  let client: pg.Client;

  before(async () => {
    app = await startTestApp(['--source', 'simulate', '--rate', '200', '--seed', '11', '--memory']);
    await waitForChannel(app.hub.require('top10'), (c) => c.rows.size === 10);
    server = await startTestPgServer(app.hub);
    client = await pgClient(server.url);
  });

  after(async () => {
    await client?.end();
    await server?.close();
    await app?.close();
  });

  async function fetchUntil(cursor: string, done: (rows: unknown[][]) => boolean): Promise<unknown[][]> {
    const rows: unknown[][] = [];
    while (!done(rows)) {
      const result = await client.query({
        text: `FETCH ALL ${cursor} WITH (timeout = '10s')`,
        rowMode: 'array',
      });
      rows.push(...(result.rows as unknown[][]));
    }
    return rows;
  }

  it('SUBSCRIBE (SELECT ... WHERE "user" LIKE ...): a snapshot of matching rows, then diffs at later timestamps', async () => {
    await client.query('BEGIN');
    await client.query(
      `DECLARE q CURSOR FOR SUBSCRIBE (SELECT "user", count FROM user_edits WHERE "user" LIKE '%a%' AND count > 0) WITH (PROGRESS)`,
    );
    const rows = await fetchUntil('q', (r) =>
      r.some((row) => row[1] === false && Number(row[0]) > Number(r[0]?.[0])),
    );
    const first = Number(rows[0]?.[0]);
    assert.equal(rows[0]?.[1], true);
    for (const row of rows.filter((r) => r[1] === false)) assert.match(String(row[3]), /a/);
    assert.ok(rows.some((r) => r[1] === false && Number(r[0]) > first));
    await client.query('COMMIT');
  });

  it('SUBSCRIBE (SELECT count(*) ...) ENVELOPE UPSERT, UP TO mz_now() + 2000 ends, refusals name the option', async () => {
    await client.query('BEGIN');
    await client.query(`DECLARE u CURSOR FOR SUBSCRIBE top10 ENVELOPE UPSERT (KEY ("user")) WITH (PROGRESS)`);
    const rows = await fetchUntil('u', (r) => r.filter((row) => row[1] === true).length >= 3);
    const data = rows.filter((r) => r[1] === false);
    assert.ok(data.length >= 10);
    for (const row of data) assert.ok(['upsert', 'delete'].includes(String(row[2])), String(row));
    await client.query('COMMIT');
    const bounded = await client.query({
      text: 'SUBSCRIBE (SELECT count(*) FROM user_edits WHERE count > 1) UP TO mz_now() + 2000',
      rowMode: 'array',
    });
    assert.equal(bounded.command, 'SUBSCRIBE');
    assert.ok(bounded.rows.length >= 1);
    // AS OF AT LEAST 0: from the oldest retained state, replayed up to now, then the end.
    const history = await client.query({
      text: 'SUBSCRIBE top10 AS OF AT LEAST 0 UP TO mz_now()',
      rowMode: 'array',
    });
    assert.ok(history.rows.length >= 10);
    const upTo = Number(app.hub.timestamp);
    for (const row of history.rows as unknown[][]) assert.ok(Number(row[0]) < upTo + 1);
    const none = await client.query('SUBSCRIBE top10 WITH (SNAPSHOT = false) AS OF mz_now() UP TO mz_now()');
    assert.equal(none.rows.length, 0);
    for (const [sql, name] of [
      ['SUBSCRIBE top10 ENVELOPE DEBEZIUM (KEY ("user"))', 'ENVELOPE DEBEZIUM'],
      ['SUBSCRIBE top10 WITHIN TIMESTAMP ORDER BY count', 'WITHIN TIMESTAMP ORDER BY'],
    ]) {
      const error = await sqlstateOf(client, sql as string);
      assert.equal(error.code, '0A000');
      assert.match(error.message, new RegExp(name as string));
    }
  });
});
