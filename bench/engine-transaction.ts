/**
 * Engine time of a one-event transaction, the live case (at 25-55 events/s nearly every event is
 * its own transaction): `engine.ingest` of one recorded event with a hub subscribed to every view,
 * on views/wikirecent.sql (3 views) and views/dashboard.sql (12 views), on the delta path and with
 * every view on PGlite (`--pglite-only`, the same-run baseline). In memory the figure is the
 * engine's own work; with a data directory it adds the durable write, shown apart as the difference.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hub } from '../src/hub/hub.js';
import { recordMapper } from '../src/ingest/records.js';
import { cpuMs, recordingLines, startEngine, viewsFile } from './support/recording.js';
import { fmt, loadAverage, log, printTable } from './support/stats.js';
import { printResult, type Scenario } from './result.js';

interface Figures {
  p50: number;
  p99: number;
  cpuUs: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN;
}

async function measure(views: string, pglite: boolean, durable: boolean, lines: string[]): Promise<Figures> {
  const dir = durable ? mkdtempSync(join(tmpdir(), 'viewcast-bench-')) : null;
  const engine = await startEngine(viewsFile(views), dir, pglite);
  const hub = new Hub(engine);
  await hub.start();
  const map = recordMapper(engine.inputColumns);
  const records = lines.map((line) => map(JSON.parse(line) as Record<string, unknown>));
  // Warm-up: the first transactions compile code paths.
  for (const record of records.slice(0, 20)) await engine.ingest([record], {});
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (const [i, record] of records.entries()) {
    const start = performance.now();
    await engine.ingest([record], { bench: String(i) });
    times.push((performance.now() - start) * 1000);
  }
  const cpu = cpuMs(cpu0) * 1000;
  hub.close();
  await engine.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), cpuUs: cpu / records.length };
}

const scenario: Scenario = async ({ quick }) => {
  log(`load average ${loadAverage()}`);
  const rows: Array<Array<string | number>> = [];
  const results = new Map<string, Figures>();
  for (const views of ['wikirecent', 'dashboard']) {
    for (const pglite of [false, true]) {
      const n = pglite ? (quick ? 100 : 400) : quick ? 1000 : 5000;
      const lines = recordingLines(n);
      const memory = await measure(views, pglite, false, lines);
      const durable = await measure(views, pglite, true, lines);
      const path = pglite ? 'PGlite (--pglite-only)' : 'delta';
      results.set(`${views} ${path}`, memory);
      rows.push([
        `${views}.sql`,
        path,
        fmt(n, 0),
        fmt(memory.p50, 0),
        fmt(memory.p99, 0),
        fmt(memory.cpuUs, 0),
        fmt(durable.p50, 0),
        fmt(durable.p50 - memory.p50, 0),
      ]);
    }
  }
  printTable(
    [
      'views',
      'path',
      'transactions',
      'in memory p50 µs',
      'p99 µs',
      'CPU µs per transaction',
      'data directory p50 µs',
      'of which the durable write µs',
    ],
    rows,
  );
  const ours = results.get('dashboard delta')?.p50 ?? NaN;
  const base = results.get('dashboard PGlite (--pglite-only)')?.p50 ?? NaN;
  printResult({
    scenario: 'engine-transaction',
    metric: 'engine time of a one-event transaction, dashboard.sql (12 views), delta path, in memory, p50',
    value: Math.round(ours),
    unit: 'µs',
    baseline: Math.round(base),
    ratio: Number((ours / base).toFixed(4)),
    goal: '<= 50 µs plus the write',
  });
};

export default scenario;
