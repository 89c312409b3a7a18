/**
 * A load-generator process: holds many WebSocket (or SSE) clients of one server, stamps every frame
 * on receipt, and turns the stamps into latency histograms once the server says when it sent what.
 * Driven by JSON lines on stdin (see bench/load/load.ts); answers on stdout.
 *
 * Clients do the least work a real client must do to know what a frame is: WebSocket clients are
 * raw TCP sockets after the upgrade that parse only frame headers (raw-websocket.ts); `timestamp`
 * mode reads the frame's trailing `"timestamp":T` without a full parse (so a saturated load
 * generator is less likely to be mistaken for a slow server) and checks that each client gets its
 * frames in order; `counter` mode parses the frame as a browser would. SSE clients (sse-client.ts)
 * count `batch` events, in `timestamp` mode only.
 */
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { Histogram, nowMs } from '../support/stats.js';
import { RawWebSocket, trailingNumber } from './raw-websocket.js';
import { openSse } from './sse-client.js';

type Mode = 'timestamp' | 'counter' | 'idle';

interface ConnectCommand {
  cmd: 'connect';
  url: string;
  count: number;
  concurrency: number;
  mode: Mode;
  transport?: 'ws' | 'sse';
}

let mode: Mode = 'idle';
let recording = false;
let cpuAtStart = process.cpuUsage();
let framesSeen = 0;
/** timestamp mode: frame timestamp -> receipt times of every client of this process. */
let receipts = new Map<number, number[]>();
/** timestamp mode: per client, the timestamp of its last frame (frames must arrive in order). */
let lastStamp: number[] = [];
/** timestamp mode: frames older than or equal to their client's previous one, or with no timestamp. */
let outOfOrder = 0;
/** counter mode: per client, [count, receipt, count, receipt, ...] in arrival order. */
let counterFrames: number[][] = [];
/** counter mode: the newest count each client has seen. */
const lastCount: number[] = [];
const sockets: RawWebSocket[] = [];
const sseRequests: Array<{ destroy(): void }> = [];

function reply(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function onFrame(client: number, buffer: Buffer, start: number, end: number, at: number): void {
  if (!recording) return;
  framesSeen++;
  if (mode === 'timestamp') recordStamp(client, trailingNumber(buffer, start, end), at);
  else if (mode === 'counter') {
    const message = JSON.parse(buffer.toString('utf8', start, end)) as { inserted: unknown[][] };
    const count = Number(message.inserted[0]?.[0]);
    lastCount[client] = count;
    (counterFrames[client] ??= []).push(count, at);
  }
}

function recordStamp(client: number, stamp: number, at: number): void {
  if (!(stamp > (lastStamp[client] ?? -Infinity))) outOfOrder++;
  lastStamp[client] = stamp;
  let list = receipts.get(stamp);
  if (!list) receipts.set(stamp, (list = []));
  list.push(at);
}

/** timestamp mode: an SSE client's `batch` event (sse-client.ts). */
function sseBatch(client: number, stamp: number, at: number): void {
  framesSeen++;
  recordStamp(client, stamp, at);
}

/** The server's own origin, as a page served by it would send. */
function httpOrigin(url: string): string {
  return new URL(url).origin.replace(/^ws/, 'http');
}

function openWebSocket(url: string, client: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let first = true;
    const socket = new RawWebSocket(
      url,
      {
        opened: () => undefined,
        message: (buffer, start, end, at) => {
          if (first) {
            first = false; // the snapshot: not a batch
            resolve();
            return;
          }
          onFrame(client, buffer, start, end, at);
        },
        closed: (reason) => {
          if (first) reject(new Error(`${reason} before the first frame`));
        },
      },
      nowMs,
    );
    sockets.push(socket);
  });
}

async function connect(command: ConnectCommand): Promise<void> {
  mode = command.mode;
  const started = nowMs();
  let next = 0;
  let failed = 0;
  let firstError: string | null = null;
  const base = sockets.length + sseRequests.length;
  async function worker(): Promise<void> {
    while (next < command.count) {
      const index = base + next++;
      try {
        if (command.transport === 'sse')
          await openSse(
            command.url,
            mode === 'timestamp' ? (stamp, at) => recording && sseBatch(index, stamp, at) : null,
            (req) => sseRequests.push(req),
          );
        else await openWebSocket(command.url, index);
      } catch (error) {
        failed++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(command.concurrency, command.count) }, worker));
  reply({ type: 'connected', count: command.count - failed, failed, firstError, ms: nowMs() - started });
}

function latency(reference: Record<string, number>, until: number): void {
  const histogram = new Histogram();
  let matched = 0;
  let inWindow = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const [stamp, times] of receipts) {
    const sent = reference[String(stamp)];
    if (sent === undefined) continue;
    for (const at of times) {
      histogram.add(at - sent);
      matched++;
      if (at <= until) inWindow++;
      if (at < first) first = at;
      if (at > last) last = at;
    }
  }
  const protocolErrors = sockets.reduce((sum, s) => sum + s.protocolErrors, 0);
  reply({
    type: 'latency',
    histogram: histogram.toJSON(),
    matched,
    inWindow,
    first,
    last,
    outOfOrder,
    protocolErrors,
  });
}

/** Each event's latency: its arrival to the receipt of the first frame whose count includes it. */
function counterLatency(base: number, arrivals: number[]): void {
  const histogram = new Histogram();
  let last = -Infinity;
  for (const frames of counterFrames) {
    if (!frames) continue;
    let covered = base;
    for (let i = 0; i < frames.length; i += 2) {
      const count = frames[i] as number;
      const at = frames[i + 1] as number;
      if (at > last) last = at;
      for (let event = covered + 1; event <= count; event++) {
        const arrived = arrivals[event - base - 1];
        if (arrived !== undefined) histogram.add(at - arrived);
      }
      covered = Math.max(covered, count);
    }
  }
  reply({
    type: 'latency',
    histogram: histogram.toJSON(),
    matched: histogram.total,
    inWindow: NaN,
    first: NaN,
    last,
  });
}

function awaitFrames(perClient: number, timeoutMs: number): void {
  const expected = perClient * (sockets.length + sseRequests.length);
  const deadline = nowMs() + timeoutMs;
  const check = (): void => {
    if (framesSeen >= expected || nowMs() > deadline) {
      reply({ type: 'awaited', complete: framesSeen >= expected, frames: framesSeen, expected });
      return;
    }
    setTimeout(check, 20);
  };
  check();
}

/** counter mode: waits until every client has seen `count`, or the timeout. */
function awaitCount(count: number, timeoutMs: number): void {
  const deadline = nowMs() + timeoutMs;
  const clients = sockets.length + sseRequests.length;
  const check = (): void => {
    let behind = 0;
    for (let i = 0; i < clients; i++) if ((lastCount[i] ?? -1) < count) behind++;
    if (behind === 0 || nowMs() > deadline) {
      reply({ type: 'awaited', complete: behind === 0, behind });
      return;
    }
    setTimeout(check, 10);
  };
  check();
}

/**
 * A new client's time to a complete view, `times` times in a row: from opening the connection to
 * holding the parsed snapshot (WebSocket: the first frame; HTTP: the JSON body).
 */
async function firstState(url: string, times: number): Promise<void> {
  const durations: number[] = [];
  let bytes = 0;
  for (let i = 0; i < times; i++) {
    const t0 = nowMs();
    if (url.startsWith('ws')) {
      const text = await new Promise<string>((resolve, reject) => {
        const socket = new WebSocket(url, {
          perMessageDeflate: false,
          maxPayload: 1 << 30,
          origin: httpOrigin(url),
        });
        socket.once('message', (data: Buffer) => {
          const body = data.toString();
          JSON.parse(body);
          socket.terminate();
          resolve(body);
        });
        socket.once('error', reject);
      });
      bytes = Buffer.byteLength(text);
    } else {
      const response = await fetch(url);
      const text = await response.text();
      JSON.parse(text);
      bytes = Buffer.byteLength(text);
    }
    durations.push(nowMs() - t0);
  }
  reply({ type: 'first-state', durations, bytes });
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const command = JSON.parse(line) as { cmd: string } & Record<string, unknown>;
  switch (command.cmd) {
    case 'connect':
      void connect(command as unknown as ConnectCommand);
      break;
    case 'start':
      receipts = new Map();
      lastStamp = [];
      outOfOrder = 0;
      counterFrames = [];
      lastCount.length = 0;
      framesSeen = 0;
      recording = true;
      cpuAtStart = process.cpuUsage();
      reply({ type: 'started' });
      break;
    case 'await':
      awaitFrames(Number(command['perClient']), Number(command['timeoutMs']));
      break;
    case 'first-state':
      void firstState(String(command['url']), Number(command['times']));
      break;
    case 'await-count':
      awaitCount(Number(command['count']), Number(command['timeoutMs']));
      break;
    case 'stop': {
      recording = false;
      const cpu = process.cpuUsage(cpuAtStart);
      reply({
        type: 'stopped',
        frames: framesSeen,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        systemSeconds: cpu.system / 1e6,
      });
      break;
    }
    case 'latency':
      latency(command['reference'] as Record<string, number>, Number(command['until'] ?? Infinity));
      break;
    case 'counter-latency':
      counterLatency(Number(command['base']), command['arrivals'] as number[]);
      break;
    case 'close':
      for (const socket of sockets) socket.terminate();
      for (const req of sseRequests) req.destroy();
      process.exit(0);
  }
});
lines.on('close', () => process.exit(0));
reply({ type: 'ready' });
