/**
 * The WebSocket fast path (src/server/ws-frames.ts): frames encoded once and written beside `ws`
 * arrive whole and in order at a real `ws` client and at Chromium, at every length class of the
 * frame header (7-bit, 16-bit, 64-bit), interleaved with `ws`'s own sends and pings. And a client
 * whose transport throws is dropped alone: every other client keeps getting its batches.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import type { App } from '../src/cli/app.js';
import { corked, textFrame, writeText } from '../src/server/ws-frames.js';
import { launchBrowser } from './support/browser.js';
import { MuxClient } from './support/mux-client.js';
import { startTestApp } from './support/server.js';
import { recording } from './support/shared-data.js';

/** Payload lengths around every boundary of the header's length field. */
const LENGTHS = [0, 1, 125, 126, 127, 65_535, 65_536, 200_000];

/** A payload of `length` bytes that starts with its index and carries multi-byte characters. */
function payload(index: number, length: number): string {
  const head = `${index}:`;
  if (length < head.length) return 'x'.repeat(length);
  const rest = length - head.length;
  return head + 'é'.repeat(Math.floor(rest / 2)) + 'y'.repeat(rest % 2);
}

/** The messages every connection is sent: fast-path frames, `ws` sends between them, a ping. */
function expectedMessages(): string[] {
  const out: string[] = [];
  LENGTHS.forEach((length, i) => {
    out.push(payload(i, length));
    if (i % 3 === 0) out.push(`via ws ${i}`);
  });
  return out;
}

function sendAll(ws: WebSocket): void {
  const shared = LENGTHS.map((length, i) => Buffer.from(payload(i, length)));
  corked(ws, () => {
    shared.forEach((frame, i) => {
      writeText(ws, frame);
      if (i % 3 === 0) ws.send(`via ws ${i}`);
      if (i === 4) ws.ping();
    });
  });
}

describe('WebSocket frames written once for every socket', { timeout: 120_000 }, () => {
  let server: Server;
  let url: string;
  before(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>frames</title>');
    });
    const sockets = new WebSocketServer({ server });
    sockets.on('connection', sendAll);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('encodes each payload once: the same frame buffer for every socket', () => {
    const shared = Buffer.from('{"type":"progress","timestamp":1}');
    assert.equal(textFrame(shared), textFrame(shared));
    assert.deepEqual([...textFrame(shared).subarray(0, 2)], [0x81, shared.length]);
  });

  it('a real ws client reads every frame whole and in order', async () => {
    const client = new WebSocket(url.replace('http', 'ws'));
    const expected = expectedMessages();
    const received: string[] = [];
    await new Promise<void>((resolve, reject) => {
      client.on('message', (data, isBinary) => {
        assert.equal(isBinary, false);
        received.push(String(data));
        if (received.length === expected.length) resolve();
      });
      client.on('error', reject);
    });
    assert.deepEqual(received, expected);
    client.close();
  });

  it('Chromium reads every frame whole and in order', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(url);
      const received = await page.evaluate(
        (count) =>
          new Promise<string[]>((resolve, reject) => {
            const out: string[] = [];
            const socket = new WebSocket(location.href.replace('http', 'ws'));
            socket.onmessage = (event) => {
              out.push(String(event.data));
              if (out.length === count) resolve(out);
            };
            socket.onerror = () => reject(new Error('socket error'));
          }),
        expectedMessages().length,
      );
      assert.deepEqual(received, expectedMessages());
    } finally {
      await browser.close();
    }
  });
});

describe('a client whose send throws', { timeout: 120_000 }, () => {
  let app: App;
  before(async () => {
    app = await startTestApp([
      ...['--source', `replay:${recording('recentchange-2023-07-29-enwiki-100.jsonl')}`, '--speed', 'max'],
      '--memory',
    ]);
    await app.sourcesDone;
  });
  after(() => app?.close());

  it('is dropped alone; the other clients keep getting every batch', async () => {
    const { fanout } = app.server;
    const broken = fanout.createSession('subscribe', {
      send: (kind) => {
        if (kind === 'batch') throw new Error('the transport broke');
      },
      close: () => undefined,
      buffered: 0,
    });
    broken.subscribe(['counter'], null);
    const healthy = await MuxClient.open(app.url);
    healthy.subscribe(['counter']);
    await healthy.until(() => healthy.views.size === 1);
    const stamps: number[] = [];
    for (let i = 0; i < 3; i++) stamps.push(await app.engine.ingest([{ user: `u${i}`, type: 'edit' }], {}));
    await healthy.reach(stamps.at(-1) ?? 0, ['counter']);
    const seen = healthy.batches().map((f) => f.timestamp);
    for (const stamp of stamps)
      assert.ok(seen.includes(stamp), `batch at ${stamp} reached the healthy client`);
    assert.equal(fanout.sessions.has(broken), false, 'the broken client left the fan-out');
    assert.equal(fanout.counters.sendFailures, 1);
    healthy.close();
  });
});
