/**
 * What a gateway adds: from an engine commit to its arrival at a WebSocket client, on the engine
 * itself (the baseline) and through a gateway (`--engine postgres://...` over the engine's
 * Postgres-wire SUBSCRIBE). The engine runs the simulator at `--rate` events/s; every `counter`
 * message carries its transaction's timestamp (the engine's wall clock in ms when the transaction
 * began, on this same machine), so latency is arrival time minus timestamp. Both are child processes, started as users start them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { printResult, type ScenarioContext } from './result.js';
import { VIEWCAST_BIN } from './support/processes.js';
import { fmt, Histogram, log } from './support/stats.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

async function viewcast(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(VIEWCAST_BIN, ['serve', '--port', '0', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`viewcast ${args.join(' ')} exited with ${code}`)));
  });
  return { child, url };
}

/** Records commit-to-arrival latency of every counter message after `warmupMs`. */
function measure(url: string, warmupMs: number): { histogram: Histogram; close(): void } {
  const histogram = new Histogram();
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/stream/counter`);
  const start = Date.now() + warmupMs;
  let first = true;
  socket.on('message', (data) => {
    const now = Date.now();
    const { timestamp } = JSON.parse(String(data)) as { timestamp: number };
    if (first)
      first = false; // the snapshot is not a commit arriving
    else if (now >= start) histogram.add(now - timestamp);
  });
  return { histogram, close: () => socket.close() };
}

export default async function gatewayLag({ quick, args }: ScenarioContext): Promise<void> {
  const flag = (name: string, fallback: number): number => {
    const at = args.indexOf(`--${name}`);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  const rate = flag('rate', 200);
  const seconds = flag('seconds', quick ? 10 : 30);
  const pgPort = await freePort();
  log(
    `engine: simulator at ${rate} events/s, --memory, Postgres wire on ${pgPort}; one gateway; ${seconds} s`,
  );
  const engine = await viewcast([
    '--source',
    'simulate',
    '--rate',
    String(rate),
    '--memory',
    '--pg-port',
    String(pgPort),
  ]);
  const gateway = await viewcast([
    '--engine',
    `postgres://materialize@127.0.0.1:${pgPort}/materialize`,
    '--pg-port',
    '0',
  ]);
  try {
    const direct = measure(engine.url, 2000);
    const through = measure(gateway.url, 2000);
    await new Promise((resolve) => setTimeout(resolve, (seconds + 2) * 1000));
    direct.close();
    through.close();
    const d = direct.histogram;
    const g = through.histogram;
    log(
      `  engine:  ${d.total} commits, p50 ${fmt(d.percentile(0.5), 2)} ms, p99 ${fmt(d.percentile(0.99), 2)} ms`,
    );
    log(
      `  gateway: ${g.total} commits, p50 ${fmt(g.percentile(0.5), 2)} ms, p99 ${fmt(g.percentile(0.99), 2)} ms`,
    );
    const value = g.percentile(0.5);
    const baseline = d.percentile(0.5);
    printResult({
      scenario: 'gateway-lag',
      metric: 'transaction-to-browser p50 through a gateway',
      value: Number(fmt(value, 2)),
      unit: 'ms',
      baseline: Number(fmt(baseline, 2)),
      ratio: Number(fmt(value / baseline, 2)),
      goal: 'a gateway adds under 5 ms at p50',
    });
  } finally {
    gateway.child.kill();
    engine.child.kill();
  }
}
