/**
 * Event-loop delay of the main thread (the one that serves sockets) while the whole server ingests
 * a replay as fast as it can: the recording repeated (50,000 events; --quick 12,000) through the
 * real app (`startApp`, default batching, --memory), with a WebSocket-free hub subscribed to every
 * view. The baseline is the same process's delay while idle for as long, just before: on a shared
 * machine that is the floor any server sees. Goal: p99 <= 10 ms. `--data-dir`: the state in a new
 * data directory (the default of `viewcast serve`: the journal's appends and checkpoints included).
 * Each thread's CPU and the main thread's wait for the cpu are reported (/proc/self/task): every thread
 * of the process shares the cpu it is pinned to. `--gaps`: where the stalls over 10 ms came from
 * (bench/support/loop-gaps.ts; its timer adds a little work of its own).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  constants,
  monitorEventLoopDelay,
  PerformanceObserver,
  type PerformanceEntry,
} from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApp } from '../src/cli/app.js';
import { parseServeOptions } from '../src/cli/options.js';
import { projectRoot, writeRecordingFile } from './support/recording.js';
import { probeGaps } from './support/loop-gaps.js';
import { threadReport, threadStats } from './support/thread-cpu.js';
import { fmt, loadAverage, log, printTable } from './support/stats.js';
import { printResult, type Scenario } from './result.js';

const silent = { info: () => undefined, warn: () => undefined, error: (m: string) => log(m) };

interface Delay {
  p50: number;
  p99: number;
  max: number;
}

function delays(histogram: ReturnType<typeof monitorEventLoopDelay>): Delay {
  return {
    p50: histogram.percentile(50) / 1e6,
    p99: histogram.percentile(99) / 1e6,
    max: histogram.max / 1e6,
  };
}

const scenario: Scenario = async ({ quick, args }) => {
  const events = quick ? 12_000 : 50_000;
  const file = join(tmpdir(), `viewcast-bench-${process.pid}.jsonl`);
  writeRecordingFile(file, events);
  const batchSize = args.find((a) => a.startsWith('--batch-size='))?.split('=')[1] ?? '1000';
  const dataDir = args.includes('--data-dir') ? mkdtempSync(join(tmpdir(), 'viewcast-event-loop-')) : null;
  const options = parseServeOptions([
    '--source',
    `replay:${file}`,
    '--speed',
    'max',
    ...(dataDir ? ['--data-dir', join(dataDir, 'data')] : ['--memory']),
    '--port',
    '0',
    '--pg-port',
    '0',
    '--batch-size',
    batchSize,
    '--views',
    `${projectRoot}views/wikirecent.sql`,
  ]);
  if (options === 'help') throw new Error('unexpected --help');
  let release!: () => void;
  const app = await startApp(options, silent, undefined, { holdSources: new Promise((r) => (release = r)) });
  try {
    const idle = monitorEventLoopDelay({ resolution: 1 });
    idle.enable();
    const idleStart = performance.now();
    // Warm-up of the idle histogram's length: a few seconds, like the ingest below.
    await sleep(quick ? 1500 : 4000);
    idle.disable();
    const idleMs = performance.now() - idleStart;

    const gcPauses: number[] = [];
    const gcEntries: PerformanceEntry[] = [];
    const majorPauses: number[] = [];
    let newSpaceMax = 0;
    const gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        gcPauses.push(entry.duration);
        gcEntries.push(entry);
        const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
        if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorPauses.push(entry.duration);
      }
      const newSpace = getHeapSpaceStatistics().find((sp) => sp.space_name === 'new_space');
      newSpaceMax = Math.max(newSpaceMax, newSpace?.space_size ?? 0);
    });
    gcObserver.observe({ entryTypes: ['gc'] });
    const busy = monitorEventLoopDelay({ resolution: 1 });
    busy.enable();
    const threadsBefore = threadStats();
    const gaps = args.includes('--gaps') ? probeGaps() : null;
    const start = performance.now();
    release();
    await app.sourcesDone;
    const ms = performance.now() - start;
    busy.disable();
    if (gaps) log(`gaps: ${gaps.stop(gcEntries)}`);
    gcObserver.disconnect();
    const applied = app.status().source.events;
    if (applied !== events) throw new Error(`applied ${applied} of ${events} events`);
    const base = delays(idle);
    const ours = delays(busy);
    log(`threads: ${threadReport(threadsBefore)}`);
    log(
      `${fmt(events, 0)} events in ${fmt(ms / 1000, 2)} s (${fmt((events / ms) * 1000, 0)} events/s), batch size ${batchSize}, ${dataDir ? 'data directory' : 'in memory'}; load ${loadAverage()}`,
    );
    gcPauses.sort((a, b) => b - a);
    log(
      `main-thread GC during ingest: ${gcPauses.length} pauses, ${fmt(
        gcPauses.reduce((a, b) => a + b, 0),
        0,
      )} ms in all, ` +
        `longest ${gcPauses
          .slice(0, 3)
          .map((d) => fmt(d, 1))
          .join(', ')} ms; of them major (mark-compact) ${majorPauses.length}, ${fmt(
          majorPauses.reduce((a, b) => a + b, 0),
          0,
        )} ms, longest ${fmt(Math.max(0, ...majorPauses), 1)} ms; new space up to ${fmt(newSpaceMax / 1048576, 0)} MiB`,
    );
    printTable(
      ['main thread', 'duration s', 'p50 ms', 'p99 ms', 'max ms'],
      [
        ['idle (baseline)', fmt(idleMs / 1000, 1), fmt(base.p50, 2), fmt(base.p99, 2), fmt(base.max, 2)],
        ['ingesting at full speed', fmt(ms / 1000, 1), fmt(ours.p50, 2), fmt(ours.p99, 2), fmt(ours.max, 2)],
      ],
    );
    printResult({
      scenario: 'engine-event-loop',
      metric: 'main-thread event-loop delay p99 while ingesting at full speed',
      value: Number(ours.p99.toFixed(2)),
      unit: 'ms',
      baseline: Number(base.p99.toFixed(2)),
      ratio: Number((ours.p99 / base.p99).toFixed(2)),
      goal: 'p99 <= 10 ms',
    });
  } finally {
    await app.close();
    rmSync(file, { force: true });
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
};

export default scenario;
