/**
 * Soak run (not part of `npm test`): a viewcast fed by the simulator at a steady rate, with many
 * WebSocket clients following the dashboard's views, for minutes. Every interval it prints the
 * server's resident memory, heap and event-loop delay, the events it committed and the frames the
 * clients received, then a summary saying whether memory and delay stayed flat.
 *
 *   npm run soak -- [--minutes 10] [--clients 1000] [--rate 500] [--interval 10] [-- <serve flags>]
 *
 * The server runs in a child process (its own event loop, measured from inside with
 * `monitorEventLoopDelay`); the clients run in this process, so their work does not count against
 * the server's figures (they do share the machine's cores).
 */
import { fork } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

interface ServerSample {
  type: 'sample';
  rssMb: number;
  heapMb: number;
  delayP50Ms: number;
  delayP99Ms: number;
  delayMaxMs: number;
  events: number;
}

type ServerMessage = { type: 'listening'; url: string } | ServerSample;

const MB = 1024 * 1024;
/** The delay monitor's timer interval; its samples include it, so it is subtracted from them. */
const DELAY_RESOLUTION_MS = 10;
const beyondTimer = (ns: number): number => Math.max(0, ns / 1e6 - DELAY_RESOLUTION_MS);

async function runServer(serveArgs: string[], intervalMs: number): Promise<void> {
  const { startApp } = await import('../src/cli/app.js');
  const { parseServeOptions } = await import('../src/cli/options.js');
  const options = parseServeOptions(serveArgs);
  if (options === 'help') throw new Error('unexpected --help');
  const quiet = { info: () => undefined, warn: () => undefined, error: (m: string) => console.error(m) };
  const app = await startApp(options, quiet);
  const delay = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  delay.enable();
  process.send?.({ type: 'listening', url: app.url } satisfies ServerMessage);
  setInterval(() => {
    const memory = process.memoryUsage();
    const events = app.status().sources.reduce((sum, s) => sum + s.events, 0);
    process.send?.({
      type: 'sample',
      rssMb: memory.rss / MB,
      heapMb: memory.heapUsed / MB,
      delayP50Ms: beyondTimer(delay.percentile(50)),
      delayP99Ms: beyondTimer(delay.percentile(99)),
      delayMaxMs: beyondTimer(delay.max),
      events,
    } satisfies ServerMessage);
    delay.reset();
  }, intervalMs);
  process.on('disconnect', () => void app.close().finally(() => process.exit(0)));
}

interface ClientStats {
  frames: number;
  bytes: number;
  /** Receive time minus the frame's engine timestamp, in ms, this interval. */
  lags: number[];
  closed: number;
}

function openClients(url: string, count: number, views: string[], stats: ClientStats): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  const base = url.replace(/^http/, 'ws');
  const opened: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const view = views[i % views.length] as string;
    const socket = new WebSocket(`${base}/api/stream/${view}`);
    sockets.push(socket);
    socket.on('message', (data: Buffer) => {
      stats.frames++;
      stats.bytes += data.length;
      // The timestamp is the last field of every frame: no need to parse the whole JSON.
      const match = /"timestamp":(\d+)\}\s*$/.exec(data.toString('latin1', Math.max(0, data.length - 40)));
      if (match) stats.lags.push(Date.now() - Number(match[1]));
    });
    socket.on('close', () => stats.closed++);
    opened.push(
      new Promise((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      }),
    );
  }
  return Promise.all(opened).then(() => sockets);
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function main(): Promise<void> {
  const [ownArgs, serveArgs] = splitArgs(process.argv.slice(2));
  const { values } = parseArgs({
    args: ownArgs,
    options: {
      minutes: { type: 'string', default: '10' },
      clients: { type: 'string', default: '1000' },
      rate: { type: 'string', default: '500' },
      interval: { type: 'string', default: '10' },
      views: { type: 'string', default: 'counter,top10' },
      serve: { type: 'boolean', default: false },
    },
  });
  const intervalMs = Number(values.interval) * 1000;
  if (values.serve) return runServer(serveArgs, intervalMs);

  const durationMs = Number(values.minutes) * 60_000;
  const clients = Number(values.clients);
  const serverArgs = [
    ...['--source', 'simulate', '--rate', values.rate, '--memory', '--port', '0', '--pg-port', '0'],
    ...serveArgs,
  ];
  const started = new Date();
  console.log(
    `soak: ${clients} WebSocket clients on ${values.views}, simulator at ${values.rate} events/s, ` +
      `${values.minutes} min, samples every ${values.interval} s`,
  );
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / MB)} MB, node ${process.version}`,
  );
  console.log(`server flags: ${serverArgs.join(' ')}`);
  const self = fileURLToPath(import.meta.url);
  const server = fork(self, ['--serve', '--interval', values.interval, '--', ...serverArgs], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const samples: Array<ServerSample & { t: number; frames: number; lagP99: number; closed: number }> = [];
  const stats: ClientStats = { frames: 0, bytes: 0, lags: [], closed: 0 };
  let lastEvents = 0;
  const url = await new Promise<string>((resolve, reject) => {
    server.on('message', (message: ServerMessage) => {
      if (message.type === 'listening') return resolve(message.url);
      const t = (Date.now() - started.getTime()) / 1000;
      const row = {
        ...message,
        t,
        frames: stats.frames,
        lagP99: percentile(stats.lags, 99),
        closed: stats.closed,
      };
      samples.push(row);
      console.log(
        [
          `t=${t.toFixed(0).padStart(4)}s`,
          `rss ${message.rssMb.toFixed(1)} MB`,
          `heap ${message.heapMb.toFixed(1)} MB`,
          `loop delay p50 ${message.delayP50Ms.toFixed(1)} p99 ${message.delayP99Ms.toFixed(1)} max ${message.delayMaxMs.toFixed(1)} ms`,
          `events ${((message.events - lastEvents) / (intervalMs / 1000)).toFixed(0)}/s`,
          `frames ${(stats.frames / (intervalMs / 1000)).toFixed(0)}/s`,
          `lag p99 ${row.lagP99} ms`,
          `closed ${stats.closed}`,
        ].join('  '),
      );
      lastEvents = message.events;
      stats.frames = 0;
      stats.bytes = 0;
      stats.lags = [];
    });
    server.once('exit', (code) => reject(new Error(`the server exited (${code})`)));
  });
  const sockets = await openClients(url, clients, values.views.split(','), stats);
  console.log(`${sockets.length} clients connected to ${url}`);
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  for (const socket of sockets) socket.terminate();
  server.disconnect();
  summarize(samples);
}

function summarize(samples: Array<ServerSample & { t: number; lagP99: number; closed: number }>): void {
  // The first samples include start-up and connecting the clients; the rest should be flat.
  const steady = samples.slice(Math.min(2, Math.max(0, samples.length - 2)));
  const first = steady[0];
  const last = steady[steady.length - 1];
  if (!first || !last) return console.log('too short for a summary');
  const maxRss = Math.max(...steady.map((s) => s.rssMb));
  const summary = {
    samples: samples.length,
    rssFirstMb: +first.rssMb.toFixed(1),
    rssLastMb: +last.rssMb.toFixed(1),
    rssMaxMb: +maxRss.toFixed(1),
    heapFirstMb: +first.heapMb.toFixed(1),
    heapLastMb: +last.heapMb.toFixed(1),
    delayP99MaxMs: +Math.max(...steady.map((s) => s.delayP99Ms)).toFixed(1),
    delayMaxMs: +Math.max(...steady.map((s) => s.delayMaxMs)).toFixed(1),
    lagP99MaxMs: Math.max(...steady.map((s) => s.lagP99)),
    clientsClosed: last.closed,
  };
  console.log(`SOAK ${JSON.stringify(summary)}`);
}

/** Arguments before `--` are the soak's own, the rest go to `viewcast serve`. */
function splitArgs(args: string[]): [string[], string[]] {
  const at = args.indexOf('--');
  return at === -1 ? [args, []] : [args.slice(0, at), args.slice(at + 1)];
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
