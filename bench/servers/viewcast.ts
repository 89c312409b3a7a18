/**
 * viewcast under test: the real app (the embedded engine, hub, HTTP and WebSocket server),
 * started exactly as `viewcast serve --memory` starts it, plus a paced source that the benchmark
 * controls. The paced source feeds an ingest pipeline of its own with the app's batching settings;
 * the app's configured source is held back so that only benchmark events arrive.
 *
 * Commands (JSON lines on stdin): prefill, track, drive-top10, drive-counter, drive-batches.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { startApp, type App } from '../../src/cli/app.js';
import { parseServeOptions, type ServeOptions } from '../../src/cli/options.js';
import { IngestPipeline } from '../../src/ingest/pipeline.js';
import { EventGenerator } from '../../src/sources/simulate-events.js';
import type { EventSink, RawEvent } from '../../src/sources/types.js';
import { Histogram, nowMs } from '../support/stats.js';
import { Pacer } from './pacer.js';
import { reply } from './control.js';

type Command = { cmd: string } & Record<string, unknown>;

const views = process.argv[2];
const options = parseServeOptions([
  '--memory',
  '--port',
  '0',
  '--pg-port',
  '0',
  '--source',
  'simulate',
  // The benchmarks open up to 10,000 clients at once; the default limit is for a public server.
  '--max-connections',
  '100000',
  ...(views ? ['--views', views] : []),
]);
if (options === 'help') throw new Error('unexpected help');
const serveOptions: ServeOptions = options;

const generator = new EventGenerator(7);
const pool: RawEvent[] = Array.from({ length: 2000 }, () => generator.next(Date.now()));
let nextId = 1;
/** A realistic event with its own id (rows of a projection stay distinct). */
function event(user?: string): RawEvent {
  const base = pool[nextId % pool.length] as RawEvent;
  return user === undefined ? { ...base, id: nextId++ } : { ...base, id: nextId++, user };
}

const started = nowMs();
const app: App = await startApp(
  serveOptions,
  {
    info: () => undefined,
    warn: (m) => process.stderr.write(`${m}\n`),
    error: (m) => process.stderr.write(`${m}\n`),
  },
  (error) => {
    process.stderr.write(`viewcast failed: ${error.message}\n`);
    process.exit(1);
  },
  { holdSources: new Promise<void>(() => undefined) },
);
/**
 * Time per transaction inside the engine (the ingest call until its reply), so a latency can be
 * split into the engine's part and the rest.
 */
const commits = { histogram: new Histogram(), transactions: 0, events: 0 };
const engineIngest = app.engine.ingest.bind(app.engine);
app.engine.ingest = async (records, positions) => {
  const t0 = nowMs();
  try {
    return await engineIngest(records, positions);
  } finally {
    commits.histogram.add(nowMs() - t0);
    commits.transactions++;
    commits.events += records.length;
  }
};

const pipeline = new IngestPipeline(app.engine, {
  batchSize: serveOptions.batchSize,
  batchMs: serveOptions.batchMs,
  onError: (error) => {
    process.stderr.write(`a benchmark transaction failed: ${error.message}\n`);
    process.exit(1);
  },
});
const sink: EventSink = pipeline.sinkFor('bench');

/**
 * Publish times and frames of one view's batches, recorded by the first listener of the view. The
 * sends themselves are not timed apart: they run in rounds that interleave with the engine's work
 * (src/server/send-rounds.ts), so only the whole server's CPU per frame compares with the others.
 */
const tracked = { sendTimes: {} as Record<string, number>, frames: [] as string[] };

function counterValue(): number {
  const row = app.hub.channel('counter')?.rows.rows()[0];
  return row ? Number(row[0]) : 0;
}

function topUsers(): string[] {
  const rows = app.hub.channel('top10')?.rows.rows() ?? [];
  return rows.map((r) => String(r[0]));
}

async function prefill(count: number, batch: number): Promise<void> {
  const t0 = nowMs();
  for (let i = 0; i < count; i += batch) {
    for (let j = 0; j < Math.min(batch, count - i); j++) void sink.push(event(), null);
    await pipeline.drain();
  }
  reply({ type: 'prefilled', ms: nowMs() - t0, counter: counterValue() });
}

/**
 * One event per tick, by a user in the current top 10: every tick is one batch that changes top10.
 * The event loop's delay meanwhile says how long the sends held the server (ingest waits as long).
 */
async function driveTop10(rate: number, durationMs: number): Promise<void> {
  const cpu = process.cpuUsage();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let sent = 0;
  await new Pacer(rate, durationMs).run(() => {
    const users = topUsers();
    void sink.push(event(users[sent % Math.max(1, users.length)]), null);
    sent++;
  });
  await pipeline.drain();
  delay.disable();
  const used = process.cpuUsage(cpu);
  reply({
    type: 'driven',
    sent,
    ...tracked,
    cpuSeconds: (used.user + used.system) / 1e6,
    loopDelayMs: { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
  });
}

/**
 * Events at a fixed rate. Each event's arrival is the moment it was due, not when the timer got to
 * it: a late timer is latency a real source's events would spend waiting in a socket buffer.
 */
async function driveCounter(
  rate: number,
  durationMs: number,
  sampleMs: number,
  keepArrivals: boolean,
): Promise<void> {
  const base = counterValue();
  const arrivals: number[] = [];
  const backlog: Array<[number, number]> = [];
  const t0 = nowMs();
  const sampler = setInterval(
    () => backlog.push([nowMs() - t0, arrivals.length - (counterValue() - base)]),
    sampleMs,
  );
  await new Pacer(rate, durationMs).run((due) => {
    arrivals.push(due);
    void sink.push(event(), null);
  });
  clearInterval(sampler);
  backlog.push([nowMs() - t0, arrivals.length - (counterValue() - base)]);
  // The benchmark may stop before the backlog is cleared; the answer must not wait for it.
  reply({ type: 'driven', base, events: arrivals.length, arrivals: keepArrivals ? arrivals : [], backlog });
}

/** `batches` transactions of `size` events each. */
async function driveBatches(batches: number, size: number): Promise<void> {
  for (let b = 0; b < batches; b++) {
    for (let i = 0; i < size; i++) void sink.push(event(), null);
    await pipeline.drain();
  }
  reply({ type: 'driven', counter: counterValue() });
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const c = JSON.parse(line) as Command;
  const run = async (): Promise<void> => {
    if (c.cmd === 'prefill') await prefill(Number(c['events']), Number(c['batch'] ?? 1000));
    else if (c.cmd === 'track') {
      const channel = app.hub.require(String(c['view']));
      channel.listen((batch) => {
        tracked.sendTimes[String(batch.timestamp)] = nowMs();
        tracked.frames.push(batch.streamFrame);
      });
      reply({ type: 'tracking' });
    } else if (c.cmd === 'drive-top10') await driveTop10(Number(c['rate']), Number(c['durationMs']));
    else if (c.cmd === 'drive-counter')
      await driveCounter(
        Number(c['rate']),
        Number(c['durationMs']),
        Number(c['sampleMs'] ?? 250),
        c['keepArrivals'] !== false,
      );
    else if (c.cmd === 'drain') {
      await pipeline.drain();
      reply({ type: 'drained', counter: counterValue() });
    } else if (c.cmd === 'commits') {
      reply({
        type: 'commits',
        transactions: commits.transactions,
        events: commits.events,
        p50: commits.histogram.percentile(0.5),
        p99: commits.histogram.percentile(0.99),
      });
      Object.assign(commits, { histogram: new Histogram(), transactions: 0, events: 0 });
    } else if (c.cmd === 'gc') {
      globalThis.gc?.();
      reply({ type: 'collected', ...process.memoryUsage() });
    } else if (c.cmd === 'snapshot-frame') {
      const t0 = nowMs();
      const frame = app.hub.require(String(c['view'])).snapshotFrame();
      reply({ type: 'snapshot-frame', frame: c['frame'] === false ? '' : frame, ms: nowMs() - t0 });
    } else if (c.cmd === 'drive-batches') await driveBatches(Number(c['batches']), Number(c['size']));
    else throw new Error(`unknown command ${c.cmd}`);
  };
  run().catch((error: unknown) => reply({ type: 'error', message: String(error) }));
});
lines.on('close', () => process.exit(0));
reply({ type: 'ready', url: app.url, startMs: nowMs() - started });
