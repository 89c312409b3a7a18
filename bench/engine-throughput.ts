/**
 * Engine throughput: recorded events per second through the wikirecent views (counter, user_edits,
 * top10), from JSON text to committed transactions with every view's changes collected, at 1, 100,
 * 1,000 and 10,000 events per transaction. The same path the server takes: JSON.parse, mapping to
 * input rows, the ingest pipeline, the PGlite worker. Baseline: JSON.parse alone on the same lines.
 * "cpu" figures divide by the CPU time of both threads: events per second of one busy core.
 */
import { IngestPipeline } from '../src/ingest/pipeline.js';
import { cpuMs, fmt, recordingLines, startEngine } from './support/recording.js';
import { printResult, type Scenario } from './result.js';

const SIZES = [1, 100, 1000, 10_000] as const;

function events(batch: number, quick: boolean): number {
  if (batch === 1) return quick ? 300 : 2_000;
  if (batch === 100) return quick ? 10_000 : 50_000;
  return quick ? 40_000 : 200_000;
}

function jsonParseBaseline(lines: string[]): number {
  for (const line of lines.slice(0, 5_000)) JSON.parse(line); // warm up
  const start = performance.now();
  for (const line of lines) JSON.parse(line);
  return (lines.length / (performance.now() - start)) * 1000;
}

async function run(batch: number, lines: string[]): Promise<{ wall: number; cpu: number }> {
  const engine = await startEngine();
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
  if (pipeline.applied !== lines.length) throw new Error(`applied ${pipeline.applied} of ${lines.length}`);
  return { wall: (lines.length / wallMs) * 1000, cpu: (lines.length / cpu) * 1000 };
}

const scenario: Scenario = async ({ quick }) => {
  const all = recordingLines(events(10_000, quick));
  const baseline = jsonParseBaseline(all);
  process.stdout.write(`baseline JSON.parse of the same lines: ${fmt(baseline)} events/s\n`);
  process.stdout.write(`batch size | events | events/s (wall) | events/s per CPU-second | x JSON.parse\n`);
  let last = { wall: 0, cpu: 0 };
  for (const batch of SIZES) {
    const lines = all.slice(0, events(batch, quick));
    last = await run(batch, lines);
    process.stdout.write(
      `${String(batch).padStart(10)} | ${fmt(lines.length).padStart(6)} | ${fmt(last.wall).padStart(15)} | ` +
        `${fmt(last.cpu).padStart(23)} | ${(last.wall / baseline).toFixed(3)}\n`,
    );
  }
  printResult({
    scenario: 'engine-throughput',
    metric: 'events/s at 10,000 events per transaction (wall)',
    value: Math.round(last.wall),
    unit: 'events/s',
    baseline: Math.round(baseline),
    ratio: Number((last.wall / baseline).toFixed(3)),
    goal: '>= 100,000 events/s on one core',
  });
};

export default scenario;
