/**
 * The cost of one fan-out send, taken apart: one process holds N WebSocket connections (`ws` server,
 * as viewcast's) and writes the same frame to all of them in rounds, each round by one way of
 * writing, the ways taking turns so that every one sees the same machine. What a way costs per
 * socket, in user space and in the kernel, says where a send's time goes:
 *
 * - `ws.send`: the raw `ws` baseline's loop (frames the text again for every client).
 * - `viewcast`: the stream socket's send (buffer-bound check, then `writeFrame` of the shared frame).
 * - `socket.write`: Node's stream write of the shared frame, nothing else.
 * - `direct _write`: the socket's own `_write` (the stream implementation's method), skipping
 *   Writable's state machine: what is left of Node above the handle without private bindings.
 * - `write(2)`: `fs.writeSync` on the socket's descriptor: the system call alone, the kernel's floor.
 *
 * Commands (JSON lines on stdin): rounds {rounds, payload}; answers `measured` with µs per send.
 */
import { writeSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { WebSocketServer, type WebSocket } from 'ws';
import { textFrame, writeFrame } from '../../src/server/ws-frames.js';
import { reply } from './control.js';

const LIMIT = 1024 * 1024;
/** Writable's encoding name for buffer chunks, as it passes them to `_write`. */
const BUFFER = 'buffer' as BufferEncoding;
function written(error?: Error | null): void {
  if (error) process.stderr.write(`write-loops: ${error.message}\n`);
}
const clients: WebSocket[] = [];
const server = createServer();
const sockets = new WebSocketServer({ server, perMessageDeflate: false });
sockets.on('connection', (ws) => {
  clients.push(ws);
  ws.send('{"inserted":[],"deleted":[],"timestamp":0}');
});

type Way = (payload: Buffer, text: string, frame: Buffer) => void;

const raw = (ws: WebSocket): Socket => (ws as unknown as { _socket: Socket })._socket;
const fd = (ws: WebSocket): number => (raw(ws) as unknown as { _handle: { fd: number } })._handle.fd;

const ways: Record<string, Way> = {
  'ws.send': (_payload, text) => {
    for (const ws of clients) ws.send(text);
  },
  viewcast: (payload, _text, frame) => {
    for (const ws of clients) if (ws.bufferedAmount <= LIMIT) writeFrame(ws, payload, frame);
  },
  'socket.write': (_payload, _text, frame) => {
    for (const ws of clients) raw(ws).write(frame);
  },
  'direct _write': (_payload, _text, frame) => {
    for (const ws of clients) raw(ws)._write(frame, BUFFER, written);
  },
  'write(2)': (_payload, _text, frame) => {
    for (const ws of clients) {
      try {
        writeSync(fd(ws), frame);
      } catch {
        full++; // EAGAIN: the client's socket buffer is full (it is not reading)
      }
    }
  },
};

/** write(2) calls refused because a socket's buffer was full (reported: the floor is then low). */
let full = 0;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function rounds(count: number, payloadText: string): Promise<void> {
  const samples: Record<string, Array<{ user: number; system: number }>> = {};
  let stamp = 1;
  for (let round = 0; round < count; round++) {
    // The order turns every round: the first way after a pause finds colder caches.
    const order = Object.entries(ways);
    const turned = [...order.slice(round % order.length), ...order.slice(0, round % order.length)];
    for (const [name, way] of turned) {
      // Every frame is new (its own timestamp), as a batch's is; the clients read between rounds.
      const text = `${payloadText.slice(0, -1)},"timestamp":${stamp++}}`;
      const payload = Buffer.from(text);
      const frame = textFrame(payload);
      await pause(40);
      const before = process.cpuUsage();
      way(payload, text, frame);
      // Writable finishes a write that completed at once on the next tick: that is part of a send.
      await new Promise((resolve) => setImmediate(resolve));
      const used = process.cpuUsage(before);
      (samples[name] ??= []).push({ user: used.user / clients.length, system: used.system / clients.length });
    }
  }
  reply({ type: 'measured', clients: clients.length, sends: stamp - 1, samples, full });
}

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  reply({ type: 'ready', url: `http://127.0.0.1:${port}` });
});

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const c = JSON.parse(line) as { cmd: string } & Record<string, unknown>;
  if (c.cmd === 'rounds') void rounds(Number(c['rounds']), String(c['payload']));
  else reply({ type: 'error', message: `unknown command ${c.cmd}` });
});
lines.on('close', () => process.exit(0));
