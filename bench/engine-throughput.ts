/**
 * Engine throughput on both paths: recorded events per CPU-second from JSON text through parsing,
 * mapping to input rows, the ingest pipeline, the engine (delta path by default, or every view on
 * PGlite with --pglite-only) and a hub subscribed to every view, at 100 and 1,000 events per
 * transaction, on views/wikirecent.sql (6 views) and views/dashboard.sql (12 views). Events are
 * decoded as the sources decode them: on demand, only the fields the views and sources read
 * (core/json-fields.ts); `--full-parse` adds the delta rows with every event parsed whole, for a
 * same-run comparison: by parseJson (exact integers, as the sources did before on-demand decoding) and
 * by `JSON.parse` (as this benchmark did before). Baseline in
 * the same run: `JSON.parse` alone on the same lines (best of three passes), and the pipeline after
 * an unmeasured warm-up pass. "cpu" divides by the
 * CPU time of the whole process (both threads when PGlite runs): what one busy core does.
 * `--durable` keeps the state in a data directory (the default of `viewcast serve`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hub } from '../src/hub/hub.js';
import { IngestPipeline } from '../src/ingest/pipeline.js';
import { eventParser, parseEvent } from '../src/sources/event-schema.js';
import { cpuMs, recordingLines, startEngine, viewsFile } from './support/recording.js';
import { fmt, loadAverage, log, printTable } from './support/stats.js';
import { printResult, type Scenario } from './result.js';

const SIZES = [100, 1000] as const;
const WARM_UP_EVENTS = 50_000;
/**
 * A batch waits this long for company: long enough that every transaction but the first and the
 * last is full. With 0, a batch closed at every turn of the event loop, which the pipeline gives
 * every 64 events: "batch 1,000" measured transactions of about 64 events.
 */
const BATCH_WAIT_MS = 60_000;

type Decoding = 'on demand' | 'parseJson' | 'JSON.parse';

function eventsFor(batch: number, quick: boolean, pglite: boolean): number {
  if (pglite) return batch === 100 ? (quick ? 3_000 : 10_000) : quick ? 10_000 : 40_000;
  return quick ? 50_000 : 200_000;
}

function jsonParseBaseline(lines: string[]): number {
  let best = 0;
  for (let pass = 0; pass < 3; pass++) {
    const cpu0 = process.cpuUsage();
    for (const line of lines) JSON.parse(line);
    best = Math.max(best, (lines.length / cpuMs(cpu0)) * 1000);
  }
  return best;
}

interface Run {
  wall: number;
  cpu: number;
  /** Events per transaction, on average. */
  perTransaction: number;
}

async function run(
  views: string,
  pglite: boolean,
  batch: number,
  lines: string[],
  durable: boolean,
  decoding: Decoding,
): Promise<Run> {
  const dataDir = durable ? mkdtempSync(join(tmpdir(), 'viewcast-bench-')) : null;
  const engine = await startEngine(viewsFile(views), dataDir, pglite);
  const hub = new Hub(engine);
  await hub.start();
  const pipeline = new IngestPipeline(engine, {
    batchSize: batch,
    batchMs: BATCH_WAIT_MS,
    onError: (error) => {
      throw error;
    },
  });
  const sink = pipeline.sinkFor('bench');
  const decode =
    decoding === 'parseJson'
      ? parseEvent
      : decoding === 'JSON.parse'
        ? (text: string) => ({ event: JSON.parse(text) as Record<string, unknown> })
        : eventParser(sink.reads);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const parsed = decode(line);
    if ('reason' in parsed) throw new Error(`line ${i + 1}: ${parsed.detail}`);
    const waiting = sink.push(parsed.event, String(i + 1), decoding === 'on demand' ? line : undefined);
    if (waiting) await waiting;
  }
  await pipeline.drain();
  const wallMs = performance.now() - start;
  const cpu = cpuMs(cpu0);
  hub.close();
  await engine.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (pipeline.applied !== lines.length) throw new Error(`applied ${pipeline.applied} of ${lines.length}`);
  return {
    wall: (lines.length / wallMs) * 1000,
    cpu: (lines.length / cpu) * 1000,
    perTransaction: lines.length / pipeline.commits,
  };
}

const scenario: Scenario = async ({ quick, args }) => {
  const durable = args.includes('--durable');
  const paths = args.includes('--delta-only') ? [false] : [false, true];
  const decodings: Decoding[] = args.includes('--full-parse')
    ? ['on demand', 'parseJson', 'JSON.parse']
    : ['on demand'];
  const all = recordingLines(eventsFor(1000, quick, false));
  log(
    `engine state: ${durable ? 'in a data directory (--durable)' : 'in memory'}; load average ${loadAverage()}`,
  );
  const baseline = jsonParseBaseline(all);
  log(`baseline: JSON.parse of the same lines, ${fmt(baseline, 0)} events per CPU-second`);
  // The baseline is the best of three passes, so JSON.parse runs optimized; the pipeline gets the
  // same: one unmeasured pass per views file first, so that V8 has compiled its hot paths.
  for (const views of ['wikirecent', 'dashboard'])
    await run(views, false, 1000, all.slice(0, WARM_UP_EVENTS), durable, 'on demand');
  log(`warm-up: ${fmt(WARM_UP_EVENTS, 0)} events through each views file, not measured`);
  const rows: Array<Array<string | number>> = [];
  let headline = 0;
  for (const views of ['wikirecent', 'dashboard']) {
    for (const pglite of paths) {
      for (const batch of SIZES) {
        for (const decoding of pglite ? (['on demand'] as const) : decodings) {
          const lines = all.slice(0, eventsFor(batch, quick, pglite));
          const r = await run(views, pglite, batch, lines, durable, decoding);
          if (views === 'wikirecent' && !pglite && batch === 1000 && decoding === 'on demand')
            headline = r.cpu;
          rows.push([
            `${views}.sql`,
            pglite ? 'PGlite (--pglite-only)' : 'delta',
            decoding === 'on demand' ? decoding : `whole (${decoding})`,
            fmt(batch, 0),
            fmt(r.perTransaction, 0),
            fmt(lines.length, 0),
            fmt(r.wall, 0),
            fmt(r.cpu, 0),
            (r.cpu / baseline).toFixed(2),
          ]);
        }
      }
    }
  }
  printTable(
    [
      'views',
      'path',
      'decoding',
      'batch',
      'events per transaction',
      'events',
      'events/s (wall)',
      'events per CPU-second',
      'x JSON.parse',
    ],
    rows,
  );
  printResult({
    scenario: 'engine-throughput',
    metric: `events per CPU-second through parse, views and hub, wikirecent.sql, delta path, batch 1,000${durable ? ', durable' : ''}`,
    value: Math.round(headline),
    unit: 'events/CPU-s',
    baseline: Math.round(baseline),
    ratio: Number((headline / baseline).toFixed(2)),
    goal: '>= 150k and >= 0.5x JSON.parse',
  });
};

export default scenario;
