/**
 * The browser client against a real server on port 0, run in Node (the `ws` package stands in for
 * the browser's WebSocket; fetch and streams are Node's own): it converges to the true state over
 * WebSocket and over SSE, and after its connection drops it resumes from its last timestamp and is
 * sent only the missed batches, never a reset.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { App } from '../src/cli/app.js';
import type { ServerMessage } from '../src/client/protocol.js';
import { connect, type ViewcastClient } from '../src/client/viewcast-client.js';
import type { ViewcastError } from '../src/core/errors.js';
import { groundTruth2476, recording, RECORDING_2476 } from './support/shared-data.js';
import { startTestApp } from './support/server.js';

/** Every socket the client opens, and every frame and message that crosses it. */
const sockets: RecordingSocket[] = [];

class RecordingSocket extends WebSocket {
  readonly frames: ServerMessage[] = [];
  readonly sent: unknown[] = [];
  constructor(url: string | URL) {
    super(url);
    sockets.push(this);
    this.on('message', (data) => this.frames.push(JSON.parse(String(data)) as ServerMessage));
  }
  override send(data: unknown): void {
    this.sent.push(JSON.parse(String(data)));
    super.send(data as string);
  }
}

function counterOf(client: ViewcastClient): number | undefined {
  return client.view('counter')?.rows.rows()[0]?.[0] as number | undefined;
}

function topOf(client: ViewcastClient): Array<[string, number]> {
  return (client.view('top10')?.rows.rows() ?? [])
    .map((row) => [String(row[0]), Number(row[1])] as [string, number])
    .sort((a, b) => b[1] - a[1]);
}

/** Resolves once `predicate` holds after some change event. */
function until(client: ViewcastClient, predicate: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (predicate()) return resolve();
    const stop = client.on('change', () => {
      if (!predicate()) return;
      stop();
      resolve();
    });
  });
}

describe('client library against a real server', { timeout: 120_000 }, () => {
  let app: App;
  let release!: () => void;
  const clients: ViewcastClient[] = [];

  before(async () => {
    (globalThis as { WebSocket?: unknown }).WebSocket = RecordingSocket;
    app = await startTestApp(
      ['--source', `replay:${recording(RECORDING_2476)}`, '--speed', '10', '--memory'],
      { holdSources: new Promise((resolve) => (release = resolve)) },
    );
  });

  after(async () => {
    for (const client of clients) client.close();
    await app?.close();
    delete (globalThis as { WebSocket?: unknown }).WebSocket;
  });

  it('resumes after a dropped connection with only the missed batches, and converges', async () => {
    const client = connect({ url: app.url, views: ['counter', 'top10'], transport: 'websocket' });
    const sse = connect({ url: app.url, views: ['counter', 'top10'], transport: 'sse' });
    clients.push(client, sse);
    const statuses: string[] = [];
    client.on('status', ({ status }) => statuses.push(status));
    await until(client, () => counterOf(client) === 0);
    await until(sse, () => counterOf(sse) === 0);
    release();
    await until(client, () => (counterOf(client) ?? 0) > 0);

    const first = sockets[0] as RecordingSocket;
    const before = client.timestamp;
    first.terminate(); // the network drops; the server is fine
    await until(client, () => counterOf(client) === 2476);
    await app.sourcesDone;
    await until(client, () => client.timestamp === app.hub.timestamp);

    const second = sockets[1] as RecordingSocket;
    assert.ok(second, 'the client reconnected');
    const [subscribe] = second.sent as Array<{ type: string; views: string[]; since?: number }>;
    assert.equal(subscribe?.type, 'subscribe');
    assert.deepEqual(subscribe?.views, ['counter', 'top10']);
    assert.ok(
      typeof subscribe?.since === 'number' && subscribe.since >= (before ?? 0),
      'resumed from its moment',
    );
    assert.deepEqual(
      second.frames.filter((f) => f.type === 'reset' || f.type === 'snapshot').map((f) => f.type),
      [],
      'only the missed batches, no snapshot or reset',
    );
    assert.deepEqual(topOf(client), groundTruth2476().slice(0, 10));
    assert.deepEqual(statuses.slice(0, 2), ['connecting', 'live']);
    assert.ok(statuses.includes('reconnecting') && statuses.at(-1) === 'live', statuses.join(' -> '));

    await until(sse, () => counterOf(sse) === 2476 && sse.timestamp === app.hub.timestamp);
    assert.deepEqual(topOf(sse), groundTruth2476().slice(0, 10));
  });

  it('reports a view the server does not have with its stable code, and keeps the others', async () => {
    const client = connect({ url: app.url, views: ['counter', 'no_such_view'], transport: 'websocket' });
    clients.push(client);
    const error = await new Promise<ViewcastError>((resolve) => client.on('error', resolve));
    assert.equal(error.code, 'UNKNOWN_VIEW');
    await until(client, () => counterOf(client) === 2476);
    assert.equal(client.view('no_such_view'), undefined);
  });
});
