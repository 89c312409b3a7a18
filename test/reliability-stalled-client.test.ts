/**
 * Stalled clients: among two dozen live clients on both WebSocket endpoints, one `/api/stream`
 * client and one `/api/subscribe` client stop reading while about 16 MB of changes flow to the view
 * they follow. The server queues no more for them than its limit plus what the kernel's socket
 * buffers take (a few MB), every live client still gets every batch on time and on its own, and the
 * stalled ones converge on the current state as soon as they read again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { App } from '../src/cli/app.js';
import { LiveView, type StreamMessage } from '../src/client/live-view.js';
import type { ClientSession } from '../src/server/client-session.js';
import { compareRows, MuxClient } from './support/mux-client.js';
import { startTestApp } from './support/server.js';
import { recording } from './support/shared-data.js';

const BUFFER_LIMIT = 64 * 1024;
const COMMITS = 40;
const USERS_PER_COMMIT = 100;
/** Long names make every row about 4 KB: 16 MB for a client of user_edits over the 40 commits. */
const NAME_LENGTH = 4000;

interface StreamClient {
  socket: WebSocket;
  view: LiveView;
  stamps: number[];
  bytes: number;
}

function streamClient(url: string, view: string): Promise<StreamClient> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/stream/${view}`);
  const client: StreamClient = { socket, view: new LiveView(), stamps: [], bytes: 0 };
  socket.on('message', (data: Buffer) => {
    client.bytes += data.length;
    const message = JSON.parse(data.toString('utf8')) as StreamMessage;
    client.view.apply(message);
    client.stamps.push(message.timestamp);
  });
  return new Promise((resolve, reject) => {
    socket.once('message', () => resolve(client));
    socket.once('error', reject);
  });
}

function until(socket: WebSocket, done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (done()) return resolve();
    const check = (): void => {
      if (!done()) return;
      socket.off('message', check);
      resolve();
    };
    socket.on('message', check);
  });
}

describe('a stalled client among live ones', { timeout: 120_000 }, () => {
  let app: App;
  let users = 0;
  const commit = (): Promise<number> =>
    app.engine.ingest(
      Array.from({ length: USERS_PER_COMMIT }, () => ({
        user: `u${users++}-`.padEnd(NAME_LENGTH, 'x'),
        type: 'edit',
      })),
      {},
    );

  before(async () => {
    app = await startTestApp([
      ...['--source', `replay:${recording('recentchange-2023-07-29-enwiki-100.jsonl')}`, '--speed', 'max'],
      ...['--memory', '--client-buffer-bytes', String(BUFFER_LIMIT), '--retention-bytes', String(64 << 20)],
      // No clock ticks: /api/stream sends no empty batches, so a view's timestamp moves only with data.
      ...['--tick', '0'],
    ]);
    await app.sourcesDone;
  });
  after(() => app?.close());

  it('bounds what the server holds for it, keeps the others flowing, and converges when it reads again', async () => {
    const liveStreams = [
      ...(await Promise.all(Array.from({ length: 10 }, () => streamClient(app.url, 'counter')))),
      ...(await Promise.all(Array.from({ length: 2 }, () => streamClient(app.url, 'user_edits')))),
    ];
    const liveMux = await Promise.all(Array.from({ length: 10 }, () => MuxClient.open(app.url)));
    liveMux.forEach((c, i) => c.subscribe(i < 2 ? ['counter', 'user_edits'] : ['counter', 'top10']));
    await Promise.all(liveMux.map((c) => c.until(() => c.views.size === 2)));

    const stalledStream = await streamClient(app.url, 'user_edits');
    const stalledMux = await MuxClient.open(app.url);
    stalledMux.subscribe(['user_edits']);
    await stalledMux.until(() => stalledMux.views.size === 1);
    const behind = new Promise<ClientSession>((resolve) => app.server.fanout.once('behind', resolve));
    stalledStream.socket.pause();
    stalledMux.socket.pause();

    const queuedBefore = app.server.fanout.counters.bytesSent.stream;
    const liveBytesBefore = liveStreams.reduce((sum, c) => sum + c.bytes, 0);
    // The live clients share this process with the server: they read only when the event loop
    // gets round to their sockets. A commit on the delta path resolves without a turn of the loop
    // (sources commit through the ingest pipeline, which takes one between transactions), so each
    // commit waits for the live clients to read the last one, as clients in their own processes
    // would. Otherwise a 400 kB batch is still unread at the next one, and that live client is
    // rightly treated as slow.
    const liveRead = (t: number): Promise<unknown> =>
      Promise.all([
        ...liveStreams.map((c) => until(c.socket, () => (c.view.timestamp ?? 0) >= t)),
        ...liveMux.map((c) => c.reach(t, [...c.views.keys()])),
      ]);
    const stamps: number[] = [];
    for (let i = 0; i < COMMITS; i++) {
      stamps.push(await commit());
      await liveRead(stamps.at(-1) as number);
    }
    const last = stamps.at(-1) as number;

    // The live clients get every batch, each on its own (nothing merged for them).
    for (const client of liveStreams) {
      await until(client.socket, () => client.view.timestamp === last);
      assert.deepEqual(client.stamps.slice(-COMMITS), stamps);
    }
    for (const client of liveMux) {
      await client.reach(last, [...client.views.keys()]);
      const batches = client.batches().filter((f) => stamps.includes(f.timestamp ?? 0));
      assert.deepEqual(
        batches.map((f) => [f.timestamp, f.merged]),
        stamps.map((t) => [t, undefined]),
      );
    }

    // What the server queued for the stalled /api/stream client: all stream bytes but the live ones'.
    const liveBytes = liveStreams.reduce((sum, c) => sum + c.bytes, 0) - liveBytesBefore;
    const queuedForStalled = app.server.fanout.counters.bytesSent.stream - queuedBefore - liveBytes;
    const produced = COMMITS * USERS_PER_COMMIT * NAME_LENGTH;
    assert.ok(
      queuedForStalled < 8 * 1024 * 1024 && queuedForStalled < produced / 2,
      `${queuedForStalled} bytes queued for a client that reads nothing (of ${produced} produced)`,
    );
    const session = await behind;
    const largestFrame = USERS_PER_COMMIT * (NAME_LENGTH + 64);
    assert.ok(session.peakBuffered <= BUFFER_LIMIT + largestFrame, `peak ${session.peakBuffered}`);

    // Reading again, both converge on the current state.
    stalledStream.socket.resume();
    stalledMux.socket.resume();
    const current = app.hub.require('user_edits');
    const expected = current.rows.rows().sort(compareRows);
    await until(stalledStream.socket, () => stalledStream.view.timestamp === current.timestamp);
    assert.deepEqual(stalledStream.view.rows.rows().sort(compareRows), expected);
    assert.ok(stalledStream.stamps.length < COMMITS, 'the batches were merged, not all sent');
    await stalledMux.reach(current.timestamp ?? 0, ['user_edits']);
    assert.deepEqual(stalledMux.rows('user_edits'), expected);
    assert.ok(stalledMux.batches().some((f) => (f.merged ?? 0) > 1));

    for (const client of [...liveStreams, stalledStream]) client.socket.close();
    for (const client of [...liveMux, stalledMux]) client.close();
  });
});
