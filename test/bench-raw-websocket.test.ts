/**
 * The benchmark's measuring client (bench/load/raw-websocket.ts) reads what real servers send: text
 * frames of every length class of the header, split across reads or many in one read, in order; it
 * answers pings (servers drop clients that do not) and reads the trailing timestamp of a frame.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { RawWebSocket, trailingNumber } from '../bench/load/raw-websocket.js';

/** Payload lengths around every boundary of the header's length field. */
const LENGTHS = [0, 1, 125, 126, 127, 65_535, 65_536, 200_000];

function message(index: number, length: number): string {
  const text = `{"i":${index},"pad":"${'x'.repeat(Math.max(0, length - 40))}","timestamp":${1000 + index}}`;
  return text;
}

describe('the benchmark clients', { timeout: 60_000 }, () => {
  let server: WebSocketServer;
  let url: string;
  let ponged: Promise<unknown>;
  before(async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/stream/top10`;
    server.on('connection', (socket: WebSocket) => {
      ponged = once(socket, 'pong');
      LENGTHS.forEach((length, i) => {
        socket.send(message(i, length));
        if (i === 3) socket.ping('are you there');
      });
    });
  });
  after(() => server.close());

  it('read every frame whole and in order, and answer pings', async () => {
    const received: string[] = [];
    let client: RawWebSocket | null = null;
    const done = new Promise<void>((resolve, reject) => {
      client = new RawWebSocket(
        url,
        {
          opened: () => undefined,
          message: (buffer, start, end) => {
            received.push(buffer.toString('utf8', start, end));
            if (received.length === LENGTHS.length) resolve();
          },
          closed: (reason) => reject(new Error(reason)),
        },
        () => Date.now(),
      );
    });
    await done;
    assert.deepEqual(
      received,
      LENGTHS.map((length, i) => message(i, length)),
    );
    const [payload] = (await ponged) as [Buffer];
    assert.equal(String(payload), 'are you there');
    (client as RawWebSocket | null)?.terminate();
  });

  it("read a frame's trailing timestamp without parsing it", () => {
    const frame = Buffer.from('xx{"inserted":[["a",1]],"deleted":[],"timestamp":1733060000123}yy');
    assert.equal(trailingNumber(frame, 2, frame.length - 2), 1733060000123);
    assert.ok(Number.isNaN(trailingNumber(Buffer.from('{"timestamp":null}'), 0, 18)));
  });
});
