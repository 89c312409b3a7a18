/**
 * Engine throughput: recorded events per second through the wikirecent views (counter, user_edits,
 * top10), from JSON text to committed transactions with every view's changes collected, at 1, 100,
 * 1,000 and 10,000 events per transaction. The same path the server takes: JSON.parse, mapping to
 * input rows, the ingest pipeline, the PGlite worker. Baseline: JSON.parse alone on the same lines.
 * "cpu" figures divide by the CPU time of both threads: events per second of one busy core.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IngestPipeline } from '../src/ingest/pipeline.js';
import { cpuMs, fmt, recordingLines, startEngine } from './support/recording.js';
import { printResult, type Scenario } from './result.js';

const SIZES = [1, 100, 1000, 10_000] as const;

function events(batch: number, quick: boolean): number {
  if (batch === 1) return quick ? 300 : 2_000;
  if (batch === 100) return quick ? 10_000 : 50_000;
  return quick ? 40_000 : 200_000;
}

/** JSON.parse alone on the same lines; the best of three passes, as the machine is shared. */
function jsonParseBaseline(lines: string[]): number {
  let best = 0;
  for (let pass = 0; pass < 3; pass++) {
    const start = performance.now();
    for (const line of lines) JSON.parse(line);
    best = Math.max(best, (lines.length / (performance.now() - start)) * 1000);
  }
  return best;
}

async function run(batch: number, lines: string[], durable: boolean): Promise<{ wall: number; cpu: number }> {
  const dataDir = durable ? mkdtempSync(join(tmpdir(), 'viewcast-bench-')) : null;
  const engine = await startEngine(undefined, dataDir);
  const pipeline = new IngestPipeline(engine, {
    batchSize: batch,
    batchMs: 0,
    onError: (error) => {
      throw error;
    },
  });
  const sink = pipeline.sinkFor('bench');
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  for (const [i, line] of lines.entries()) {
    const waiting = sink.push(JSON.parse(line) as Record<string, unknown>, String(i + 1));
    if (waiting) await waiting;
  }
  await pipeline.drain();
  const wallMs = performance.now() - start;
  const cpu = cpuMs(cpu0);
  await engine.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (pipeline.applied !== lines.length) throw new Error(`applied ${pipeline.applied} of ${lines.length}`);
  return { wall: (lines.length / wallMs) * 1000, cpu: (lines.length / cpu) * 1000 };
}

const scenario: Scenario = async ({ quick, args }) => {
  // --durable: the engine keeps its state in a data directory (the default of `viewcast serve`)
  // instead of in memory.
  const durable = args.includes('--durable');
  const all = recordingLines(events(10_000, quick));
  process.stdout.write(`engine state: ${durable ? 'in a data directory (--durable)' : 'in memory'}\n`);
  const baseline = jsonParseBaseline(all);
  process.stdout.write(`baseline JSON.parse of the same lines: ${fmt(baseline)} events/s\n`);
  process.stdout.write(`batch size | events | events/s (wall) | events/s per CPU-second | x JSON.parse\n`);
  let last = { wall: 0, cpu: 0 };
  for (const batch of SIZES) {
    const lines = all.slice(0, events(batch, quick));
    last = await run(batch, lines, durable);
    process.stdout.write(
      `${String(batch).padStart(10)} | ${fmt(lines.length).padStart(6)} | ${fmt(last.wall).padStart(15)} | ` +
        `${fmt(last.cpu).padStart(23)} | ${(last.wall / baseline).toFixed(3)}\n`,
    );
  }
  printResult({
    scenario: 'engine-throughput',
    metric: `events/s at 10,000 events per transaction (wall${durable ? ', durable' : ''})`,
    value: Math.round(last.wall),
    unit: 'events/s',
    baseline: Math.round(baseline),
    ratio: Number((last.wall / baseline).toFixed(3)),
    goal: '>= 100,000 events/s on one core',
  });
};

export default scenario;
