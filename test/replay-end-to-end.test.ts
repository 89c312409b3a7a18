/**
 * The vertical slice on real parts: the 2,476-event recording replayed through a real server (real
 * PGlite + pg_ivm worker, real HTTP and WebSocket on port 0), checked against the recording's
 * ground truth in shared/data/README.md.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { App } from '../src/cli/app.js';
import { groundTruth2476, recording, RECORDING_2476 } from './support/shared-data.js';
import { getJson, startTestApp } from './support/server.js';
import { streamView, type StreamedView } from './support/ws-view.js';

interface Snapshot {
  view: string;
  timestamp: number;
  columns: string[];
  rows: unknown[][];
}

describe('replay of the 2,476-event recording, end to end', { timeout: 300_000 }, () => {
  let app: App;
  let release!: () => void;
  let early: { counter: StreamedView; top10: StreamedView; user_edits: StreamedView };

  before(async () => {
    const file = recording(RECORDING_2476);
    app = await startTestApp(
      ['--source', `replay:${file}`, '--speed', 'max', '--memory', '--batch-size', '200'],
      {
        holdSources: new Promise((resolve) => (release = resolve)),
      },
    );
    // These clients connect before the first event: they must end equal to the snapshot through batches alone.
    early = {
      counter: await streamView(app.url, 'counter'),
      top10: await streamView(app.url, 'top10'),
      user_edits: await streamView(app.url, 'user_edits'),
    };
    release();
    await app.sourcesDone;
  });

  after(async () => {
    for (const client of Object.values(early ?? {})) client.close();
    await app?.close();
  });

  it('reports the replay as done with every event applied', async () => {
    const status = await getJson<{
      source: { kind: string; events: number; done: boolean };
      engine: { timestamp: number };
    }>(app, '/api/status');
    assert.equal(status.source.kind, 'replay');
    assert.equal(status.source.done, true);
    assert.equal(status.source.events, 2476);
    assert.ok(status.engine.timestamp > 0);
  });

  it('counts every event once', async () => {
    const counter = await getJson<Snapshot>(app, '/api/views/counter');
    assert.deepEqual(counter.columns, ['count']);
    assert.deepEqual(counter.rows, [[2476]]);
  });

  it('serves the true top 10 editors', async () => {
    const top10 = await getJson<Snapshot>(app, '/api/views/top10');
    assert.deepEqual(top10.columns, ['user', 'count']);
    const sorted = [...top10.rows].sort((a, b) => Number(b[1]) - Number(a[1]));
    assert.deepEqual(sorted, groundTruth2476().slice(0, 10));
  });

  it('serves user_edits with 292 distinct users whose counts add up to 2,476', async () => {
    const edits = await getJson<Snapshot>(app, '/api/views/user_edits');
    assert.equal(edits.rows.length, 292);
    assert.equal(
      edits.rows.reduce((sum, row) => sum + Number(row[1]), 0),
      2476,
    );
  });

  it('lists the views with their columns', async () => {
    const views = await getJson<Array<{ name: string; columns: Array<{ name: string; type: string }> }>>(
      app,
      '/api/views',
    );
    assert.deepEqual(
      views.map((v) => [v.name, v.columns.map((c) => c.name)]),
      [
        ['counter', ['count']],
        ['user_edits', ['user', 'count']],
        ['top10', ['user', 'count']],
        ['edits_per_second', ['second', 'edits']],
        ['recent_user_edits', ['user', 'count']],
        ['top10_recent', ['user', 'count']],
      ],
    );
  });

  it('gives early WebSocket clients batches that add up to the snapshot, at the same timestamp', async () => {
    for (const name of ['counter', 'top10', 'user_edits'] as const) {
      const snapshot = await getJson<Snapshot>(app, `/api/views/${name}`);
      const client = early[name];
      await client.reach(snapshot.timestamp);
      assert.equal(client.view.timestamp, snapshot.timestamp, name);
      assert.deepEqual(client.view.rows.rows().sort(), [...snapshot.rows].sort(), name);
      assert.ok(client.messages.length > 1, `${name}: expected live batches after the initial state`);
      assert.equal(client.view.rows.valid, true);
    }
    // Before the first event the counter holds one row, 0: count(*) over nothing.
    assert.deepEqual(early.counter.messages[0]?.inserted, [[0]]);
  });

  it('never sends an empty batch and starts every stream with the whole state', async () => {
    for (const message of early.top10.messages.slice(1))
      assert.ok(message.inserted.length + message.deleted.length > 0);
    const late = await streamView(app.url, 'top10');
    try {
      assert.equal(late.messages.length, 1);
      assert.equal(late.messages[0]?.deleted.length, 0);
      assert.equal(late.messages[0]?.inserted.length, 10);
    } finally {
      late.close();
    }
  });

  it('closes a stream of an unknown view with a reason', async () => {
    const socket = new WebSocket(`${app.url.replace('http', 'ws')}/api/stream/no_such_view`);
    const [code, reason] = await new Promise<[number, string]>((resolve) =>
      socket.on('close', (c, r) => resolve([c, String(r)])),
    );
    assert.equal(code, 4404);
    assert.match(reason, /unknown view "no_such_view"/);
  });

  it('answers 404 with an error body for an unknown view snapshot', async () => {
    const response = await fetch(`${app.url}/api/views/nope`);
    assert.equal(response.status, 404);
    assert.match(((await response.json()) as { error: { message: string } }).error.message, /unknown view/);
  });
});
