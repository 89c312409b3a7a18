/**
 * A browser client whose server stops sending progress: the server's hello says its tick,
 * and a connection silent for several ticks is dead: the client drops it and reconnects, instead of
 * showing "stale" forever. A server that never says its tick keeps the old behaviour.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { connect, type ViewcastClient } from '../src/client/index.js';

// Node 20 has no WebSocket global; `ws` speaks the same browser API the client uses.
/** Errors arrive through onclose, as in a browser (closing a socket still connecting is no failure). */
class BrowserLikeWebSocket extends WebSocket {
  constructor(address: string) {
    super(address);
    this.on('error', () => undefined);
  }
}
(globalThis as { WebSocket?: unknown }).WebSocket ??= BrowserLikeWebSocket;

/** A server that says hello (with `tick` when given), then nothing, counting connections. */
async function silentServer(
  tick?: number,
): Promise<{ url: string; connections: () => number; reconnected: Promise<void>; close(): void }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  let connections = 0;
  let reconnected!: () => void;
  const second = new Promise<void>((resolve) => (reconnected = resolve));
  server.on('connection', (socket) => {
    connections++;
    if (connections === 2) reconnected();
    socket.send(
      JSON.stringify({
        type: 'hello',
        protocol: 1,
        views: ['counter'],
        timestamp: 1,
        ...(tick ? { tick } : {}),
      }),
    );
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    reconnected: second,
    close: () => {
      for (const client of server.clients) client.terminate();
      server.close();
    },
  };
}

describe('a client whose server stops ticking', { timeout: 30_000 }, () => {
  const clients: ViewcastClient[] = [];
  const servers: Array<{ close(): void }> = [];
  after(() => {
    for (const client of clients) client.close();
    for (const server of servers) server.close();
  });

  it('reconnects after several silent ticks', async () => {
    const server = await silentServer(20);
    servers.push(server);
    const client = connect({
      url: server.url,
      transport: 'websocket',
      staleAfterMs: 100,
      backoff: { initialMs: 10 },
    });
    clients.push(client);
    // Waits for the event (a second connection), not for time.
    await server.reconnected;
    assert.ok(server.connections() >= 2);
  });
});
