/**
 * The floor of a Node fan-out: no `ws`, no engine, no per-client state. The upgrade is answered by
 * hand, then a broadcast is one loop writing the same pre-built frame to every socket with
 * `socket.write` (no cork: one buffer per socket needs none). What is left of a send here is Node's
 * stream machinery and the kernel's loopback write; viewcast's send loop is measured against it.
 *
 * Commands (JSON lines on stdin), as the other benchmark servers:
 * - broadcast {frames, offsets}: sends frame i to every client `offsets[i]` ms after the start
 */
import { createHash } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { encodeTextFrame } from '../../src/server/ws-frames.js';
import { broadcastAtOffsets, reply } from './control.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/**
 * `direct`: each frame handed to the socket's own `_write` (the stream implementation's method),
 * skipping the Writable state machine above it; the same libuv write, so what is left is the handle.
 */
const direct = process.argv[2] === 'direct';
function done(error?: Error | null): void {
  if (error) process.stderr.write(`floor-ws: ${error.message}\n`);
}

const snapshot = encodeTextFrame(Buffer.from('{"inserted":[],"deleted":[],"timestamp":0}'));
const clients = new Set<Socket>();

/** Reads the upgrade request, answers 101 and the snapshot; then reads and drops whatever comes. */
function upgrade(socket: Socket): void {
  let head = '';
  const onData = (chunk: Buffer): void => {
    head += chunk.toString('latin1');
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    socket.removeListener('data', onData);
    socket.on('data', () => undefined);
    const key = /sec-websocket-key:\s*(\S+)/i.exec(head.slice(0, end))?.[1] ?? '';
    const accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    socket.write(snapshot);
    clients.add(socket);
  };
  socket.setNoDelay(true);
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
  socket.on('close', () => clients.delete(socket));
}

async function broadcastFrames(frames: string[], offsets: number[]): Promise<void> {
  const paced = await broadcastAtOffsets(frames, offsets, (text) => {
    const frame = encodeTextFrame(Buffer.from(text));
    if (direct) for (const socket of clients) socket._write(frame, 'buffer' as BufferEncoding, done);
    else for (const socket of clients) socket.write(frame);
  });
  reply({ type: 'driven', ...paced });
}

const server = createServer({ noDelay: true }, upgrade);
server.listen({ host: '127.0.0.1', port: 0, backlog: 1024 }, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  reply({ type: 'ready', url: `http://127.0.0.1:${port}` });
});

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const c = JSON.parse(line) as { cmd: string } & Record<string, unknown>;
  if (c.cmd === 'broadcast') void broadcastFrames(c['frames'] as string[], c['offsets'] as number[]);
  else reply({ type: 'error', message: `unknown command ${c.cmd}` });
});
lines.on('close', () => process.exit(0));
