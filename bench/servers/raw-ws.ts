/**
 * The raw `ws` baseline: no engine, no hub, no state; the documented `ws` broadcast loop sending
 * frames that were serialized beforehand. What viewcast's fan-out is measured against.
 *
 * Commands (JSON lines on stdin):
 * - snapshot {frame}: what every new connection gets first (default: an empty batch)
 * - broadcast {frames, offsets}: sends frame i to every client `offsets[i]` ms after the start
 * - drive-counter {rate, durationMs}: events at a fixed rate, each wake-up's events broadcast at once
 *   as a counter batch: the floor of an event's way to a browser, with no engine in between
 */
import { createInterface } from 'node:readline';
import { WebSocketServer, WebSocket } from 'ws';
import { broadcastAtOffsets, reply } from './control.js';
import { Pacer } from './pacer.js';

let snapshot = '{"inserted":[],"deleted":[],"timestamp":0}';
const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, backlog: 1024 });
server.on('connection', (socket) => socket.send(snapshot));

function broadcast(frame: string): void {
  for (const client of server.clients) if (client.readyState === WebSocket.OPEN) client.send(frame);
}

/** Sends frame i at `offsets[i]` ms after the start: the moments viewcast published them. */
async function broadcastFrames(frames: string[], offsets: number[]): Promise<void> {
  const cpu = process.cpuUsage();
  const paced = await broadcastAtOffsets(frames, offsets, broadcast);
  const used = process.cpuUsage(cpu);
  reply({ type: 'driven', ...paced, cpuSeconds: (used.user + used.system) / 1e6 });
}

async function driveCounter(rate: number, durationMs: number): Promise<void> {
  const arrivals: number[] = [];
  let sent = 0;
  let flush: NodeJS.Immediate | null = null;
  await new Pacer(rate, durationMs).run((due) => {
    arrivals.push(due);
    flush ??= setImmediate(() => {
      flush = null;
      const count = arrivals.length;
      broadcast(`{"inserted":[[${count}]],"deleted":[[${sent}]],"timestamp":${Date.now()}}`);
      sent = count;
    });
  });
  reply({ type: 'driven', base: 0, events: arrivals.length, arrivals, backlog: [] });
}

server.on('listening', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  reply({ type: 'ready', url: `http://127.0.0.1:${port}` });
});

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const c = JSON.parse(line) as { cmd: string } & Record<string, unknown>;
  if (c.cmd === 'snapshot') {
    snapshot = String(c['frame']);
    reply({ type: 'snapshot-set' });
  } else if (c.cmd === 'broadcast') void broadcastFrames(c['frames'] as string[], c['offsets'] as number[]);
  else if (c.cmd === 'gc') {
    globalThis.gc?.();
    reply({ type: 'collected', ...process.memoryUsage() });
  } else if (c.cmd === 'drive-counter') void driveCounter(Number(c['rate']), Number(c['durationMs']));
  else reply({ type: 'error', message: `unknown command ${c.cmd}` });
});
lines.on('close', () => process.exit(0));
