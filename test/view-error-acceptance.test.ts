/**
 * One bad view never stops the rest, end to end as a user sees it: `viewcast serve` as a child
 * process with `bad AS SELECT 100 / (3 - count(*))` next to `counter`, the 2,476-event recording
 * posted into a data directory with `--batch-size 1`. `bad` is in error exactly while count = 3, and
 * every way of reading it says so (HTTP 409, an `/api/stream` socket, the multiplexed socket, SSE,
 * Postgres-wire SUBSCRIBE and SELECT, /metrics, /readyz) while `counter` and ingest go on; it comes
 * back by itself; a restart with the view fixed works on the same data directory.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import WebSocket from 'ws';
import { startViewcast, type RunningViewcast } from './support/child-server.js';
import { MuxClient, type Frame } from './support/mux-client.js';
import { pgClient } from './support/pg-wire.js';
import { freePort } from './support/process.js';
import { projectRoot, recording, RECORDING_2476 } from './support/shared-data.js';
import { SseReader } from './support/sse-client.js';

const TOKEN = 'acceptance-token';
const TABLE = /CREATE TABLE recentchanges \([\s\S]*?\n\);/.exec(
  readFileSync(`${projectRoot}views/wikirecent.sql`, 'utf8'),
)?.[0];
const COUNTER = 'CREATE MATERIALIZED VIEW counter AS SELECT count(*) AS count FROM recentchanges;';
const BAD = 'CREATE MATERIALIZED VIEW bad AS SELECT 100 / (3 - count(*)) AS x FROM recentchanges;';
const FIXED = 'CREATE MATERIALIZED VIEW bad AS SELECT 100 / NULLIF(3 - count(*), 0) AS x FROM recentchanges;';

interface StreamSocket {
  messages: unknown[];
  closed: Promise<number>;
  first: Promise<void>;
}

/** An `/api/stream/:view` socket that keeps every message and its close code. */
function openStream(url: string, view: string): StreamSocket {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/stream/${view}`);
  const messages: unknown[] = [];
  let arrived = (): void => undefined;
  const first = new Promise<void>((resolve) => (arrived = resolve));
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    arrived();
  });
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  return { messages, closed, first };
}

async function pgErrorOf(work: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await work();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected a Postgres-wire error');
}

describe('a view in error, end to end', { timeout: 420_000 }, () => {
  let root: string;
  let dataDir: string;
  let viewsFile: string;
  let server: RunningViewcast | null = null;
  let pgUrl: string;
  const lines = readFileSync(recording(RECORDING_2476), 'utf8').trim().split('\n');

  before(async () => {
    assert.ok(TABLE, 'views/wikirecent.sql declares recentchanges');
    assert.equal(lines.length, 2476);
    root = mkdtempSync(join(tmpdir(), 'viewcast-bad-view-'));
    dataDir = join(root, 'data');
    viewsFile = join(root, 'views.sql');
    writeFileSync(viewsFile, `${TABLE}\n${COUNTER}\n${BAD}\n`);
  });
  after(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  const start = async (extra: string[] = []): Promise<RunningViewcast> => {
    const args = ['--views', viewsFile, '--data-dir', dataDir, '--batch-size', '1', ...extra];
    // The Postgres-wire port must be a real one here (0 turns it off).
    const pgPort = String(await freePort());
    const running = await startViewcast([
      ...args,
      '--pg-port',
      pgPort,
      '--source',
      'ingest',
      '--ingest-token',
      TOKEN,
    ]);
    pgUrl = (await running.waitFor(/Postgres wire: (postgres(?:ql)?:\/\/\S+)/))[1] as string;
    return running;
  };
  const url = (): string => server?.url ?? '';
  const get = async (path: string): Promise<{ status: number; body: string }> => {
    const response = await fetch(`${url()}${path}`);
    return { status: response.status, body: await response.text() };
  };
  const post = async (events: string[]): Promise<void> => {
    const response = await fetch(`${url()}/api/ingest`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/x-ndjson' },
      body: `${events.join('\n')}\n`,
    });
    assert.equal(response.status, 200, await response.text());
  };
  const inError = (frame: Frame): boolean => frame.type === 'error' && frame.view === 'bad';

  it('reports bad in error only while count = 3, everywhere, while counter and ingest go on; then a fixed view restarts on the same data', async () => {
    server = await start();
    const mux = await MuxClient.open(url());
    mux.subscribe(['counter', 'bad']);
    await mux.until(() => mux.rows('bad').length === 1 && mux.rows('counter').length === 1);
    assert.deepEqual(mux.rows('bad'), [[33]]);
    const sse = await SseReader.open(`${url()}/api/sse?views=counter,bad`);
    await sse.until(() => sse.messages.filter((m) => m.event === 'snapshot').length === 2);
    const liveStream = openStream(url(), 'bad');
    await liveStream.first;
    const live = await pgClient(pgUrl);
    await live.query('BEGIN');
    await live.query('DECLARE c CURSOR FOR SUBSCRIBE bad');
    const opening = await live.query('FETCH ALL c');
    assert.deepEqual(
      opening.rows.map((r: { x: string }) => String(r.x)),
      ['33'],
    );
    const liveQuery = await pgClient(pgUrl);
    await liveQuery.query('BEGIN');
    await liveQuery.query('DECLARE q CURSOR FOR SUBSCRIBE (SELECT x * 2 AS y FROM bad)');
    const queryOpening = await liveQuery.query('FETCH ALL q');
    assert.deepEqual(
      queryOpening.rows.map((r: { y: string }) => String(r.y)),
      ['66'],
    );

    // --- count = 3: 100 / 0 ---
    await post(lines.slice(0, 3));
    await mux.until(() => mux.frames.some(inError));
    const frame = mux.frames.find(inError) as Frame & Record<string, unknown>;
    assert.equal(frame['code'], 'VIEWCAST_VIEW_ERROR');
    assert.match(String(frame['message']), /view "bad" is in error: division by zero/);
    assert.equal((frame['errors'] as Array<{ sqlstate: string }>)[0]?.sqlstate, '22012');
    await mux.until(() => mux.rows('counter')[0]?.[0] === 3);

    const http = await get('/api/views/bad');
    assert.equal(http.status, 409);
    const body = JSON.parse(http.body) as { error: { code: string; message: string; view: string } };
    assert.equal(body.error.view, 'bad');
    assert.equal(body.error.message, frame['message'], 'every transport tells the same error');
    assert.equal(JSON.parse((await get('/api/views/counter')).body).rows[0][0], 3);

    assert.equal(await liveStream.closed, 4409, 'a live /api/stream socket gets the error and closes');
    assert.deepEqual(liveStream.messages.at(-1), { error: body.error });
    const lateStream = openStream(url(), 'bad');
    assert.equal(await lateStream.closed, 4409);
    assert.deepEqual(lateStream.messages, [{ error: body.error }]);

    await sse.until(() => sse.messages.some((m) => m.event === 'error'));
    const sseError = JSON.parse(sse.messages.find((m) => m.event === 'error')?.data ?? '{}') as {
      message: string;
    };
    assert.equal(sseError.message, body.error.message);

    const liveError = await pgErrorOf(() => live.query('FETCH ALL c'));
    assert.equal(liveError.code, '22012', 'a running SUBSCRIBE ends with the view error');
    assert.match(liveError.message, /view "bad" is in error: division by zero/);
    await live.end();
    const queryError = await pgErrorOf(() => liveQuery.query('FETCH ALL q'));
    assert.equal(queryError.code, '22012', 'a running SUBSCRIBE of a query over it ends too');
    await liveQuery.end();
    const other: pg.Client = await pgClient(pgUrl);
    try {
      assert.equal((await pgErrorOf(() => other.query('SELECT * FROM bad'))).code, '22012');
      await other.query('BEGIN');
      const subscribe = await pgErrorOf(async () => {
        await other.query('DECLARE d CURSOR FOR SUBSCRIBE bad');
        await other.query('FETCH ALL d');
      });
      assert.equal(subscribe.code, '22012');
      await other.query('ROLLBACK');
      await other.query('BEGIN');
      const query = await pgErrorOf(async () => {
        await other.query('DECLARE e CURSOR FOR SUBSCRIBE (SELECT x FROM bad WHERE x > 0)');
        await other.query('FETCH ALL e');
      });
      assert.equal(query.code, '22012', 'so is a SUBSCRIBE of a query over it');
      await other.query('ROLLBACK');
      assert.deepEqual((await other.query('SELECT count FROM counter')).rows, [{ count: '3' }]);
    } finally {
      await other.end();
    }

    const metrics = (await get('/metrics')).body;
    assert.match(metrics, /^viewcast_view_in_error\{view="bad"\} 1$/m);
    assert.match(metrics, /^viewcast_view_in_error\{view="counter"\} 0$/m);
    const ready = await get('/readyz');
    assert.equal(ready.status, 200);
    assert.match(ready.body, /view bad: error \(VIEWCAST_VIEW_ERROR\)/);

    // --- count = 4 .. 2476: no longer failing, ingest never stopped ---
    await post(lines.slice(3));
    await mux.until(() => mux.frames.some((f) => f.type === 'reset' && f.view === 'bad'));
    const recovered = mux.frames.find((f) => f.type === 'reset' && f.view === 'bad') as Frame &
      Record<string, unknown>;
    assert.equal(recovered['reason'], 'recovered');
    await mux.until(() => mux.rows('counter')[0]?.[0] === 2476);
    assert.deepEqual(mux.rows('bad'), [[0]]); // 100 / (3 - 2476), truncated toward zero
    assert.equal(mux.frames.filter(inError).length, 1, 'in error only while the aggregate made it fail');
    await sse.until(() => sse.messages.some((m) => m.event === 'reset'));
    assert.deepEqual(JSON.parse((await get('/api/views/bad')).body).rows, [[0]]);
    assert.match((await get('/metrics')).body, /^viewcast_view_in_error\{view="bad"\} 0$/m);
    const again = openStream(url(), 'bad');
    await again.first;
    assert.deepEqual((again.messages[0] as { inserted: unknown[] }).inserted, [[0]]);
    mux.close();
    sse.close();

    // --- the view fixed, on the same data directory ---
    assert.equal((await server.stop()).code, 0);
    server = null;
    writeFileSync(viewsFile, `${TABLE}\n${COUNTER}\n${FIXED}\n`);
    server = await start();
    assert.deepEqual(JSON.parse((await get('/api/views/counter')).body).rows, [[2476]]);
    assert.deepEqual(JSON.parse((await get('/api/views/bad')).body).rows, [[0]]);
  });

  it('isolates the failing view on the PGlite path too (--pglite-only)', async () => {
    await server?.stop();
    server = null;
    dataDir = join(root, 'data-pglite');
    writeFileSync(viewsFile, `${TABLE}\n${COUNTER}\n${BAD}\n`);
    server = await start(['--pglite-only']);
    await post(lines.slice(0, 3));
    const http = await get('/api/views/bad');
    assert.equal(http.status, 409);
    assert.match(http.body, /view \\"bad\\" is in error: division by zero \[SQLSTATE 22012\]/);
    assert.deepEqual(JSON.parse((await get('/api/views/counter')).body).rows, [[3]]);
    const client = await pgClient(pgUrl);
    try {
      assert.equal((await pgErrorOf(() => client.query('SELECT * FROM bad'))).code, '22012');
    } finally {
      await client.end();
    }
    await post(lines.slice(3, 10));
    assert.deepEqual(JSON.parse((await get('/api/views/bad')).body).rows, [[-14]]); // 100 / (3 - 10)
    assert.deepEqual(JSON.parse((await get('/api/views/counter')).body).rows, [[10]]);
  });
});
