/**
 * The engine's footprint in a real `viewcast serve` (a child process pinned to one core with
 * taskset, data in a data directory as by default), on both paths: the delta path (default) and
 * every view on PGlite (`--pglite-only`, the same-run baseline):
 * - start to listening, on a new data directory and on the same directory again (existing state);
 * - RSS right after start and 2 s later (start-up's leftovers gone, the recording's 2,476 events
 *   replayed), and after 1,000,000 events (`--quick`: 200,000; on PGlite 200,000, whose
 *   ingest is too slow for a million in a benchmark run) of the recording repeated with fresh ids,
 *   replayed at full speed with the default views: at the end of the burst and 30 s later, idle;
 *   On the delta path the burst runs twice, with the memory given back once ingest is idle
 *   (src/core/idle-memory.ts, the default) and without it (VIEWCAST_IDLE_RELEASE=off, the baseline);
 * - CPU share of a core at 40 events/s (the simulator) with views/dashboard.sql (12 views) and
 *   views/wikirecent.sql (3 views), over 30 s from 20 s after start. At 40 events/s V8 goes on
 *   optimizing functions for minutes (each reaches its budget slowly), on a helper thread that
 *   counts in the process's CPU: `--warm-up=<seconds>` starts the window later (300: the steady state).
 * `--delta-only`: the delta path alone. `--idle-memory`: the delta path's bursts alone, and the
 * RESULT line is the RSS once idle with the release against without it. `--cpu-only`: the CPU
 * figures alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  canPin,
  processCpuSeconds,
  processRssBytes,
  residentParts,
  SERVER_CPU,
  VIEWCAST_BIN,
  type ResidentParts,
} from './support/processes.js';
import { RECORDING, viewsFile, writeRecordingFile } from './support/recording.js';
import { fmt, loadAverage, log, printTable } from './support/stats.js';
import { printResult, type Scenario } from './result.js';

/** Time between `listening` and the second reading of RSS after start. */
const SETTLE_MS = 2_000;

/** Idle time after the burst of events before RSS is read again. */
const IDLE_MS = 30_000;

/** Time between start-up and the CPU measurement at 40 events/s (`--warm-up=<seconds>`). */
const WARM_UP_MS = 20_000;

interface Server {
  child: ChildProcess;
  url: string;
  startMs: number;
  /** What the server wrote on stderr so far (its log). */
  stderr(): string;
  stop(): Promise<void>;
}

async function serve(args: string[], env: Record<string, string> = {}): Promise<Server> {
  // The bin itself (not `node bin`), so that its shebang's node flags apply as for a user.
  const command = canPin ? 'taskset' : VIEWCAST_BIN;
  const argv = [
    ...(canPin ? ['-c', String(SERVER_CPU), VIEWCAST_BIN] : []),
    'serve',
    '--port',
    '0',
    '--pg-port',
    '0',
    ...args,
  ];
  const start = performance.now();
  const child = spawn(command, argv, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`viewcast serve exited (${code}): ${stderr}`)));
  });
  const startMs = performance.now() - start;
  return {
    child,
    url,
    startMs,
    stderr: () => stderr,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function eventsApplied(url: string): Promise<number> {
  const status = (await (await fetch(`${url}/api/status`)).json()) as { sources: Array<{ events: number }> };
  return status.sources.reduce((sum, s) => sum + s.events, 0);
}

const mib = (bytes: number): string => fmt(bytes / (1024 * 1024), 1);

/** V8's heap (committed and used) and the memory of buffers outside it, from the server's /metrics. */
async function v8Memory(url: string): Promise<{ heapTotal: number; heapUsed: number; external: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string): number =>
    Number(/^(\S+) (\S+)$/.exec(text.split('\n').find((l) => l.startsWith(`${name} `)) ?? '')?.[2] ?? NaN);
  return {
    heapTotal: read('nodejs_heap_size_total_bytes'),
    heapUsed: read('nodejs_heap_size_used_bytes'),
    external: read('nodejs_external_memory_bytes'),
  };
}

/** What the RSS after the events is made of. */
function memoryRow(path: string, parts: ResidentParts, v8: Awaited<ReturnType<typeof v8Memory>>): string[] {
  return [
    path,
    mib(parts.rss),
    mib(parts.file),
    mib(parts.mallocHeap),
    mib(parts.otherAnonymous),
    mib(v8.heapTotal),
    mib(v8.heapUsed),
    mib(v8.external),
  ];
}

interface Burst {
  rssAfter: number;
  rssIdle: number;
  applied: number;
  seconds: number;
  /** The server's debug line on the memory it gave back, if any. */
  released: string | null;
}

/**
 * `events` replayed at full speed into a new data directory, RSS read at the end of the burst and
 * after IDLE_MS idle, each with its parts as a row of `memoryRows`.
 */
async function burst(
  label: string,
  flag: string[],
  events: string,
  count: number,
  dataDir: string,
  release: boolean,
  memoryRows: string[][],
): Promise<Burst> {
  const server = await serve(
    ['--data-dir', dataDir, ...flag, '--source', `replay:${events}`, '--speed', 'max'],
    {
      NODE_DEBUG: 'viewcast',
      ...(release ? {} : { VIEWCAST_IDLE_RELEASE: 'off' }),
    },
  );
  const pid = server.child.pid ?? 0;
  const start = performance.now();
  let applied = await eventsApplied(server.url);
  while (applied < count) {
    await sleep(500);
    applied = await eventsApplied(server.url);
  }
  const seconds = (performance.now() - start) / 1000;
  const rssAfter = processRssBytes(pid);
  memoryRows.push(memoryRow(`${label}, end of the burst`, residentParts(pid), await v8Memory(server.url)));
  await sleep(IDLE_MS);
  const rssIdle = processRssBytes(pid);
  memoryRows.push(
    memoryRow(`${label}, ${IDLE_MS / 1000} s idle`, residentParts(pid), await v8Memory(server.url)),
  );
  const released = /memory given back[^\n]*/.exec(server.stderr())?.[0] ?? null;
  await server.stop();
  return { rssAfter, rssIdle, applied, seconds, released };
}

/** CPU share of a core at 40 events/s (the simulator), dashboard.sql then wikirecent.sql. */
async function cpuAt40(
  flag: string[],
  dir: string,
  path: string,
  warmUpMs: number,
  seconds: number,
  figures: Map<string, number>,
): Promise<string[]> {
  const cpu: string[] = [];
  for (const views of ['dashboard', 'wikirecent']) {
    const server = await serve([
      ...flag,
      '--views',
      viewsFile(views),
      '--data-dir',
      join(dir, views),
      '--source',
      'simulate',
      '--rate',
      '40',
    ]);
    // Past start-up work: for several seconds after `listening`, V8's background threads still
    // compile what start-up ran (about 8% of a core 2 s after start, 2% after 20 s).
    await sleep(warmUpMs);
    const pid = server.child.pid ?? 0;
    const cpu0 = processCpuSeconds(pid);
    await sleep(seconds * 1000);
    const share = (processCpuSeconds(pid) - cpu0) / seconds;
    figures.set(`cpu ${views} ${path}`, share);
    cpu.push(`${fmt(share * 100, 1)}%`);
    await server.stop();
  }
  return cpu;
}

const scenario: Scenario = async ({ quick, args }) => {
  // `--delta-only` skips the PGlite baseline (minutes of start-up and ingest on a loaded machine).
  const idleOnly = args.includes('--idle-memory');
  const paths = args.includes('--delta-only') || idleOnly ? [false] : [false, true];
  const deltaEvents = quick ? 200_000 : 1_000_000;
  const cpuSeconds = quick ? 10 : 30;
  const cpuOnly = args.includes('--cpu-only');
  const warmUpArg = args.find((a) => a.startsWith('--warm-up='))?.split('=')[1];
  const warmUpMs = warmUpArg === undefined ? WARM_UP_MS : Number(warmUpArg) * 1000;
  if (!(warmUpMs >= 0)) throw new Error(`--warm-up wants a number of seconds, not ${warmUpArg}`);
  log(`load average ${loadAverage()}; ${canPin ? `server pinned to cpu ${SERVER_CPU}` : 'not pinned'}`);
  const rows: Array<Array<string | number>> = [];
  const memoryRows: string[][] = [];
  const idle: Array<Array<string | number>> = [];
  const figures = new Map<string, number>();
  for (const pglite of paths) {
    const path = pglite ? 'PGlite (--pglite-only)' : 'delta';
    const flag = pglite ? ['--pglite-only'] : [];
    const million = pglite ? 200_000 : deltaEvents;
    const dir = mkdtempSync(join(tmpdir(), 'viewcast-footprint-'));
    try {
      const dataDir = ['--data-dir', join(dir, 'data')];
      if (cpuOnly) {
        const cpu = await cpuAt40(flag, dir, path, warmUpMs, cpuSeconds, figures);
        rows.push([path, '-', '-', '-', '-', '-', '-', cpu[0] ?? '-', cpu[1] ?? '-']);
        continue;
      }
      // New data directory, then the same one again.
      let server = await serve([...flag, ...dataDir, '--source', `replay:${RECORDING}`, '--speed', 'max']);
      const startNew = server.startMs;
      const rssStart = processRssBytes(server.child.pid ?? 0);
      // Once start-up's leftovers are gone (the SQL parser is let go right after listening).
      await sleep(SETTLE_MS);
      const rssSettled = processRssBytes(server.child.pid ?? 0);
      await server.stop();
      server = await serve([...flag, ...dataDir, '--source', `replay:${RECORDING}`, '--speed', 'max']);
      const startExisting = server.startMs;
      await server.stop();

      // RSS after a million events, default views, replayed at full speed: at the end of the burst,
      // and once the server has been idle for IDLE_MS, with the memory given back once ingest is
      // idle and (the delta path's baseline) without it.
      const events = join(dir, 'events.jsonl');
      log(`writing ${fmt(million, 0)} events to ${events}`);
      writeRecordingFile(events, million);
      const run = (label: string, release: boolean): Promise<Burst> =>
        burst(label, flag, events, million, join(dir, release ? 'burst' : 'burst-kept'), release, memoryRows);
      const released = await run(path, true);
      if (released.released) log(`${path}: ${released.released}`);
      const kept = pglite ? null : await run(`${path}, VIEWCAST_IDLE_RELEASE=off`, false);
      rmSync(events, { force: true });
      let keptRow: Array<string | number> | null = null;
      if (kept) {
        idle.push([
          `${mib(released.rssAfter)} (${fmt(released.seconds, 0)} s)`,
          mib(released.rssIdle),
          `${mib(kept.rssAfter)} (${fmt(kept.seconds, 0)} s)`,
          mib(kept.rssIdle),
          Number((released.rssIdle / kept.rssIdle).toFixed(3)),
        ]);
        keptRow = [
          `${path}, VIEWCAST_IDLE_RELEASE=off`,
          '-',
          '-',
          '-',
          '-',
          `${mib(kept.rssAfter)} (${fmt(kept.applied, 0)} events in ${fmt(kept.seconds, 0)} s)`,
          mib(kept.rssIdle),
          '-',
          '-',
        ];
      }
      if (idleOnly) {
        figures.set('idle released', released.rssIdle);
        figures.set('idle kept', kept?.rssIdle ?? NaN);
        continue;
      }

      const cpu = await cpuAt40(flag, dir, path, warmUpMs, cpuSeconds, figures);
      figures.set(`start ${path}`, startNew);
      rows.push([
        path,
        fmt(startNew, 0),
        fmt(startExisting, 0),
        mib(rssStart),
        mib(rssSettled),
        `${mib(released.rssAfter)} (${fmt(released.applied, 0)} events in ${fmt(released.seconds, 0)} s)`,
        mib(released.rssIdle),
        cpu[0] ?? '-',
        cpu[1] ?? '-',
      ]);
      if (keptRow) rows.push(keptRow);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (!idleOnly)
    printTable(
      [
        'path',
        'start to listening, new data dir ms',
        'existing data dir ms',
        'RSS at listening MiB',
        'RSS 2 s later (the recording replayed) MiB',
        'RSS after the events (end of the burst) MiB',
        `RSS ${IDLE_MS / 1000} s later, idle MiB`,
        `CPU at 40 events/s from ${warmUpMs / 1000} s, dashboard.sql (12 views)`,
        'wikirecent.sql (3 views)',
      ],
      rows,
    );
  if (!cpuOnly)
    printTable(
      [
        'after the events',
        'RSS MiB',
        'mapped files (node, libraries, LMDB) MiB',
        'malloc main heap MiB',
        'other anonymous (V8 pages, malloc arenas, stacks) MiB',
        'V8 heap committed MiB',
        'V8 heap used MiB',
        'V8 external MiB',
      ],
      memoryRows,
    );
  if (!cpuOnly)
    printTable(
      [
        'delta path, memory given back once idle: RSS at the end of the burst MiB (burst)',
        `${IDLE_MS / 1000} s later MiB`,
        'without it (VIEWCAST_IDLE_RELEASE=off): end of the burst MiB (burst)',
        `${IDLE_MS / 1000} s later MiB`,
        'ratio once idle',
      ],
      idle,
    );
  if (idleOnly) {
    const released = figures.get('idle released') ?? NaN;
    const kept = figures.get('idle kept') ?? NaN;
    printResult({
      scenario: 'engine-footprint',
      metric: `RSS ${IDLE_MS / 1000} s after ${fmt(deltaEvents, 0)} events at full speed, memory given back once idle`,
      value: Number((released / 2 ** 20).toFixed(1)),
      unit: 'MiB',
      baseline: Number((kept / 2 ** 20).toFixed(1)),
      ratio: Number((released / kept).toFixed(3)),
      goal: '<= 100 MB (95.4 MiB)',
    });
    return;
  }
  const ours = figures.get('cpu dashboard delta') ?? NaN;
  const base = figures.get('cpu dashboard PGlite (--pglite-only)') ?? NaN;
  printResult({
    scenario: 'engine-footprint',
    metric: `CPU share of a core at 40 events/s from ${warmUpMs / 1000} s after start, dashboard.sql (12 views), delta path`,
    value: Number((ours * 100).toFixed(2)),
    unit: '% of a core',
    baseline: Number((base * 100).toFixed(2)),
    ratio: Number((ours / base).toFixed(3)),
    goal: '<= 2% of a core',
  });
};

export default scenario;
