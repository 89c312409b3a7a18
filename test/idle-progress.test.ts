/**
 * Progress while idle: with no events, the engine's clock tick reaches WebSocket, SSE and
 * Postgres-wire clients, and `SUBSCRIBE ... AS OF` a near-future timestamp starts when the clock
 * reaches it. The engine's clock is injected: the test moves it, never sleeps.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/cli/app.js';
import type { RunningPgServer } from '../src/pgwire/server.js';
import { manualClock } from './support/clock.js';
import { MuxClient } from './support/mux-client.js';
import { pgClient, startTestPgServer } from './support/pg-wire.js';
import { startTestApp } from './support/server.js';
import { SseReader } from './support/sse-client.js';

const T0 = 1_780_000_000_000;

describe('progress while idle', { timeout: 60_000 }, () => {
  const clock = manualClock(T0);
  let app: App;
  let pg: RunningPgServer;

  before(async () => {
    app = await startTestApp(
      ['--source', 'ingest', '--ingest-token', 'secret', '--memory', '--tick', '1000', '--progress-ms', '10'],
      { clock },
    );
    pg = await startTestPgServer(app.hub);
  });

  after(async () => {
    await pg?.close();
    await app?.close();
  });

  it('reaches WebSocket and SSE clients on every tick', async () => {
    const ws = await MuxClient.open(app.url);
    // The hello says how often an idle client hears progress: the tick (at least --progress-ms).
    assert.equal((ws.frames[0] as { tick?: number }).tick, 1000);
    ws.subscribe(['counter']);
    await ws.until(() => ws.frames.some((f) => f.type === 'snapshot'));
    const sse = await SseReader.open(`${app.url}/api/sse/counter`);
    await sse.until(() => sse.messages.some((m) => m.event === 'snapshot'));
    clock.advance(1000);
    const progressed = (t: number | null | undefined): boolean => Number(t) >= T0 + 1000;
    await ws.until(() => ws.frames.some((f) => f.type === 'progress' && progressed(f.timestamp)));
    await sse.until(() => sse.messages.some((m) => m.event === 'progress' && progressed(Number(m.id))));
    ws.socket.close();
    sse.close();
  });

  it('answers a Postgres-wire FETCH with a timeout on an idle server, and starts AS OF when the clock reaches it', async () => {
    const client = await pgClient(pg.url);
    try {
      await client.query('BEGIN');
      await client.query('DECLARE c CURSOR FOR SUBSCRIBE counter WITH (PROGRESS, SNAPSHOT = false)');
      const start = app.engine.timestamp;
      const fetch = client.query({ text: "FETCH ALL c WITH (timeout = '2s')", rowMode: 'array' });
      clock.advance(1000);
      const rows = (await fetch).rows as unknown[][];
      assert.ok(
        rows.some((row) => row[1] === true && Number(row[0]) > start + 1000),
        `progress past the tick: ${JSON.stringify(rows)}`,
      );
      await client.query('COMMIT');

      const asOf = app.engine.timestamp + 3000;
      await client.query('BEGIN');
      await client.query(`DECLARE f CURSOR FOR SUBSCRIBE counter WITH (PROGRESS) AS OF ${asOf}`);
      const first = client.query({ text: 'FETCH 1 f', rowMode: 'array' });
      clock.advance(3000);
      const [row] = (await first).rows as unknown[][];
      assert.ok(row && Number(row[0]) >= asOf, `starts at the AS OF time: ${JSON.stringify(row)}`);
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
  });
});
