/**
 * Micro-batching at the live rate: from an event's push into the ingest pipeline to its change
 * reaching a subscriber of `counter` (the hub's side of the engine), at 50 events/s (the live
 * Wikipedia rate is 25-55), for several --batch-ms values. Then a burst: 20,000 events pushed at
 * once, to show transactions growing to --batch-size instead of queueing. The baseline is one
 * event's bare `engine.ingest` round trip, no pipeline: what a change costs at the least.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { EmbeddedEngine } from '../src/engine/embedded/engine.js';
import { IngestPipeline } from '../src/ingest/pipeline.js';
import { recordingLines, startEngine } from './support/recording.js';
import { fmt, Histogram, loadAverage, log, printTable } from './support/stats.js';
import { printResult, type Scenario } from './result.js';

const RATE = 50;

/** Calls `onCount(n, at)` whenever counter changes to n. */
function watchCounter(engine: EmbeddedEngine, onCount: (n: number, at: number) => void): () => void {
  const subscription = engine.subscribe('counter', { snapshot: true }, (rows) => {
    const at = performance.now();
    for (const row of rows)
      if (!row.progressed && 'row' in row && row.diff > 0) onCount(Number(row.row[0]), at);
  });
  return () => subscription.close();
}

async function paced(engine: EmbeddedEngine, batchMs: number, events: string[]): Promise<Histogram> {
  const pipeline = new IngestPipeline(engine, { batchSize: 1000, batchMs, onError: (e) => log(e.message) });
  const sink = pipeline.sinkFor(`paced-${batchMs}`);
  const pushedAt: number[] = [];
  let base = -1;
  const histogram = new Histogram();
  let seen = 0;
  const stop = watchCounter(engine, (n, at) => {
    if (base < 0) base = n; // the snapshot: what was there before this run
    for (let i = seen; i < n - base; i++) histogram.add(at - (pushedAt[i] ?? at));
    seen = Math.max(seen, n - base);
  });
  await sleep(50);
  const start = performance.now();
  for (const [i, line] of events.entries()) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    pushedAt.push(performance.now());
    void sink.push(JSON.parse(line) as Record<string, unknown>, null);
  }
  await pipeline.drain();
  stop();
  return histogram;
}

const scenario: Scenario = async ({ quick }) => {
  const events = recordingLines(quick ? 100 : 300);
  const engine = await startEngine();
  try {
    const bare = new Histogram();
    for (const line of events.slice(0, 50)) {
      const start = performance.now();
      await engine.ingest([{ user: (JSON.parse(line) as { user?: string }).user ?? null }], {});
      bare.add(performance.now() - start);
    }
    log(`${events.length} events at ${RATE} events/s per run; load ${loadAverage()}`);
    const rows: Array<Array<string | number>> = [
      [
        'bare engine.ingest of 1 event (baseline)',
        fmt(bare.percentile(0.5), 2),
        fmt(bare.percentile(0.99), 2),
      ],
    ];
    let chosen: Histogram | null = null;
    for (const batchMs of [0, 2, 10]) {
      const histogram = await paced(engine, batchMs, events);
      if (batchMs === 2) chosen = histogram;
      rows.push([
        `pipeline, --batch-ms ${batchMs}`,
        fmt(histogram.percentile(0.5), 2),
        fmt(histogram.percentile(0.99), 2),
      ]);
    }
    printTable(['push to subscriber', 'p50 ms', 'p99 ms'], rows);

    const burst = recordingLines(quick ? 10_000 : 20_000);
    const pipeline = new IngestPipeline(engine, {
      batchSize: 1000,
      batchMs: 2,
      onError: (e) => log(e.message),
    });
    const sink = pipeline.sinkFor('burst');
    const start = performance.now();
    for (const line of burst) void sink.push(JSON.parse(line) as Record<string, unknown>, null);
    await pipeline.drain();
    log(
      `burst of ${fmt(burst.length, 0)} events pushed at once: ${pipeline.commits} transactions ` +
        `(${fmt(burst.length / pipeline.commits, 0)} events each on average) in ${fmt(performance.now() - start, 0)} ms`,
    );
    const p99 = (chosen as Histogram).percentile(0.99);
    printResult({
      scenario: 'engine-latency',
      metric: `push to subscriber p99 at ${RATE} events/s, --batch-ms 2`,
      value: Number(p99.toFixed(2)),
      unit: 'ms',
      baseline: Number(bare.percentile(0.99).toFixed(2)),
      ratio: Number((p99 / bare.percentile(0.99)).toFixed(2)),
      goal: 'a few ms at the live rate',
    });
  } finally {
    await engine.close();
  }
};

export default scenario;
