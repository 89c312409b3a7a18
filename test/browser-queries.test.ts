/**
 * Ad-hoc queries on `/api/subscribe` from a real WebSocket client: refused with
 * VIEWCAST_QUERIES_OFF unless the server runs with --allow-browser-queries; with it, a query
 * streams like a view (snapshot, then batches at the hub's timestamps) and its rows equal the query
 * applied to the view's rows at every timestamp; identical queries from two sockets share one
 * pipeline, released when the sockets close; a join is refused with the planner's reason. Uses the
 * recorded Wikimedia events of ../shared/data.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/cli/app.js';
import { Multiset, type Row } from '../src/core/multiset.js';
import { queryChannels } from '../src/hub/query-channels.js';
import { MuxClient, type Frame } from './support/mux-client.js';
import { waitForChannel } from './support/pg-wire.js';
import { startTestApp } from './support/server.js';
import { recording, RECORDING_2476 } from './support/shared-data.js';

const SIMULATE = ['--source', 'simulate', '--rate', '200', '--seed', '3', '--memory', '--pg-port', '0'];
/** Plus real edits at their recorded pace, looped: simulated user names never start with an A. */
const REPLAY = [...SIMULATE, '--source', `replay:${recording(RECORDING_2476)}`, '--speed', '1', '--loop'];

/** Per timestamp, the state of `name` after the client applied that timestamp's frames. */
function timeline(frames: Frame[], name: string): Array<[number, Multiset]> {
  const out: Array<[number, Multiset]> = [];
  let rows: Multiset | null = null;
  for (const frame of frames) {
    if ((frame.type === 'snapshot' || frame.type === 'reset') && frame.view === name) {
      rows = new Multiset();
      for (const row of frame.rows ?? []) rows.apply(row, 1);
    } else if (frame.type === 'batch' && rows && frame.views && !Array.isArray(frame.views)) {
      const changes = frame.views[name];
      if (!changes) continue;
      for (const row of changes.deleted) rows.apply(row, -1);
      for (const row of changes.inserted) rows.apply(row, 1);
    } else continue;
    const copy = new Multiset();
    copy.applyAll(rows.counted());
    out.push([frame.timestamp ?? 0, copy]);
  }
  return out;
}

function stateAt(line: Array<[number, Multiset]>, timestamp: number): Multiset | null {
  let found: Multiset | null = null;
  for (const [t, rows] of line) if (t <= timestamp) found = rows;
  return found;
}

const sorted = (rows: Row[]): string[] => rows.map((r) => JSON.stringify(r)).sort();

describe('queries over the browser protocol', { timeout: 120_000 }, () => {
  let off: App;
  let on: App;

  before(async () => {
    off = await startTestApp(SIMULATE);
    on = await startTestApp([...REPLAY, '--allow-browser-queries']);
    await waitForChannel(on.hub.require('user_edits'), (c) => c.rows.size >= 20);
  });

  after(async () => {
    await off?.close();
    await on?.close();
  });

  it('are refused by default with VIEWCAST_QUERIES_OFF', async () => {
    const client = await MuxClient.open(off.url);
    try {
      client.send({ type: 'subscribe', query: 'SELECT count(*) FROM user_edits', ref: 'q1' });
      await client.until(() => client.frames.some((f) => f.type === 'error'));
      const error = client.frames.find((f) => f.type === 'error');
      assert.equal(error?.code, 'VIEWCAST_QUERIES_OFF');
      assert.equal(error?.ref, 'q1');
      assert.match(String(error?.message), /--allow-browser-queries/);
      assert.equal(queryChannels(off.hub).size, 0);
    } finally {
      client.close();
    }
  });

  for (const [sql, filter] of [
    [
      'SELECT count(*) FROM user_edits WHERE count > 10',
      (rows: Row[]): Row[] => [[rows.filter((r) => Number(r[1]) > 10).length]],
    ],
    [
      `SELECT * FROM user_edits WHERE "user" LIKE 'A%'`,
      (rows: Row[]): Row[] => rows.filter((r) => String(r[0]).startsWith('A')),
    ],
  ] as const) {
    it(`with --allow-browser-queries, ${sql} streams and equals the view filtered at every timestamp`, async () => {
      const client = await MuxClient.open(on.url);
      try {
        client.send({ type: 'subscribe', query: sql });
        client.subscribe(['user_edits']);
        await client.until(() => client.frames.some((f) => f.type === 'snapshot' && f.view === sql));
        const start = on.hub.timestamp ?? 0;
        const changed = (): boolean =>
          client.batches().some((f) => !Array.isArray(f.views) && f.views?.[sql] !== undefined);
        await client.until(
          () => changed() && client.batches().some((f) => (f.timestamp ?? 0) > start + 1000),
        );
        const last = client.frames.at(-1)?.timestamp ?? 0;
        const query = timeline(client.frames, sql);
        const view = timeline(client.frames, 'user_edits');
        const first = Math.max(query[0]?.[0] ?? Infinity, view[0]?.[0] ?? Infinity);
        let compared = 0;
        for (const [timestamp, viewRows] of view) {
          // Frames at the last timestamp may still be on their way.
          if (timestamp < first || timestamp >= last) continue;
          const queryRows = stateAt(query, timestamp);
          assert.ok(queryRows, `query state at ${timestamp}`);
          assert.deepEqual(sorted(queryRows.rows()), sorted([...filter(viewRows.rows())]), `at ${timestamp}`);
          compared++;
        }
        assert.ok(compared >= 2, `compared at ${compared} timestamps`);
      } finally {
        client.close();
      }
    });
  }

  it('two sockets with the same query share one pipeline; unsubscribe and close release it', async () => {
    const registry = queryChannels(on.hub);
    await waitUntil(() => registry.size === 0);
    const sql = 'SELECT "user" FROM user_edits WHERE count >= 5';
    const one = await MuxClient.open(on.url);
    const two = await MuxClient.open(on.url);
    for (const client of [one, two]) {
      client.send({ type: 'subscribe', query: sql });
      await client.until(() => client.frames.some((f) => f.type === 'snapshot' && f.view === sql));
    }
    assert.equal(registry.size, 1);
    assert.equal(registry.subscribers, 2);
    one.send({ type: 'unsubscribe', views: [sql] });
    await waitUntil(() => registry.subscribers === 1);
    two.close();
    await waitUntil(() => registry.size === 0);
    one.close();
  });

  it('a join is refused with the reason, a bad query with VIEWCAST_BAD_QUERY', async () => {
    const client = await MuxClient.open(on.url);
    try {
      client.send({ type: 'subscribe', query: 'SELECT * FROM top10 JOIN user_edits USING ("user")' });
      client.send({ type: 'subscribe', query: 'SELECT nope FROM top10' });
      client.send({ type: 'subscribe', query: 'SELECT * FROM events' });
      await client.until(() => client.frames.filter((f) => f.type === 'error').length === 3);
      const errors = client.frames.filter((f) => f.type === 'error');
      assert.equal(errors[0]?.code, 'VIEWCAST_QUERY_NOT_INCREMENTAL');
      assert.match(String(errors[0]?.message), /joins/);
      assert.equal(errors[1]?.code, 'VIEWCAST_BAD_QUERY');
      assert.match(String(errors[1]?.message), /nope/);
      assert.equal(errors[2]?.code, 'VIEWCAST_BAD_QUERY', 'only served views can be read');
    } finally {
      client.close();
    }
  });
});

/** Waits for server-side effects of a socket message or close, checking on every tick of the event loop. */
async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
