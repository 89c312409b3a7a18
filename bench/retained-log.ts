/**
 * The retained event log (`--retain`): what it costs on disk per event, what it costs ingest, and how
 * fast a changed view is recomputed from it. The recording repeated, ingested in 1,000-event
 * transactions into a data directory with the wikirecent views. Baselines from the same run: the
 * same ingest with `--retain 0` (the cost of retaining), the events' JSON size (the compression),
 * and the ingest rate (a recompute against ingesting the events anew). Events are retained as their JSON
 * text, as the sources that read text hand them over; `--objects` retains the parsed objects instead
 * (msgpack-encoded, as the simulator's events are) for a comparison.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson } from '../src/core/exact-json.js';
import { EmbeddedEngine } from '../src/engine/embedded/engine.js';
import type { ArrivedEvent } from '../src/engine/types.js';
import { recordMapper } from '../src/ingest/records.js';
import { printResult, type Scenario } from './result.js';
import { recordingLines, viewsFile } from './support/recording.js';
import { fmt, loadAverage, log, median, printTable } from './support/stats.js';

const BATCH = 1000;

async function ingestAll(
  dataDir: string,
  retainMs: number,
  events: Array<Record<string, unknown>>,
  arrived: ArrivedEvent[],
) {
  const engine = new EmbeddedEngine({ viewsFile: viewsFile('wikirecent'), dataDir, retainMs, tickMs: 0 });
  await engine.start();
  const map = recordMapper(engine.inputColumns);
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  for (let from = 0; from < events.length; from += BATCH) {
    await engine.ingest(
      events.slice(from, from + BATCH).map((e) => map(e)),
      { bench: String(from) },
      arrived.slice(from, from + BATCH),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  await engine.maintainRetention();
  // Process CPU (the main thread and zlib's thread pool), through the compaction that follows.
  const cpu = process.cpuUsage(cpu0);
  const cpuUs = (cpu.user + cpu.system) / events.length;
  const storage = engine.storage();
  await engine.close();
  return { rate: events.length / seconds, cpuUs, storage };
}

const scenario: Scenario = async ({ quick, args }) => {
  const count = quick ? 24_760 : 99_040;
  const lines = recordingLines(count);
  const events = lines.map((l) => parseJson(l) as Record<string, unknown>);
  const arrived: ArrivedEvent[] = args.includes('--objects') ? events : lines;
  const jsonBytes = lines.reduce((sum, l) => sum + Buffer.byteLength(l), 0) / count;
  log(
    `${fmt(count)} recorded events in ${BATCH}-event transactions, views/wikirecent.sql, retained as ${arrived === lines ? 'JSON text' : 'parsed objects (--objects)'}`,
  );

  const root = mkdtempSync(join(tmpdir(), 'viewcast-retain-'));
  try {
    // Alternated, three rounds each, medians: the machine is shared and its load moves.
    const offRates: number[] = [];
    const onRates: number[] = [];
    const offCpu: number[] = [];
    const onCpu: number[] = [];
    let off = await ingestAll(join(root, 'off0'), 0, events, arrived);
    let on = await ingestAll(join(root, 'on'), Infinity, events, arrived);
    offRates.push(off.rate);
    onRates.push(on.rate);
    offCpu.push(off.cpuUs);
    onCpu.push(on.cpuUs);
    for (let round = 1; round < 3; round++) {
      off = await ingestAll(join(root, `off${round}`), 0, events, arrived);
      offRates.push(off.rate);
      offCpu.push(off.cpuUs);
      const again = await ingestAll(join(root, `on${round}`), Infinity, events, arrived);
      onRates.push(again.rate);
      onCpu.push(again.cpuUs);
    }
    log(
      `ingest rounds, events/s: --retain 0 ${offRates.map(fmt).join(', ')}; --retain all ${onRates.map(fmt).join(', ')}; load average ${loadAverage()}`,
    );
    log(
      `ingest, process CPU µs per event (median): --retain 0 ${fmt(median(offCpu))}, --retain all ${fmt(median(onCpu))}`,
    );
    off = { ...off, rate: median(offRates) };
    on = { ...on, rate: median(onRates) };
    const bytes = (on.storage?.bytes ?? NaN) / (on.storage?.events ?? NaN);

    // A views file with an added view and a changed grouping: both recomputed at start.
    const changed = join(root, 'changed.sql');
    writeFileSync(
      changed,
      readFileSync(viewsFile('wikirecent'), 'utf8').replace(
        'GROUP BY "user";',
        'GROUP BY "user";\nCREATE VIEW wiki_edits AS SELECT wiki, bot, count(*) FROM recentchanges GROUP BY wiki, bot;',
      ),
    );
    const lines2: string[] = [];
    const engine = new EmbeddedEngine({
      viewsFile: changed,
      dataDir: join(root, 'on'),
      tickMs: 0,
      onProgress: (line) => lines2.push(line),
    });
    const started = performance.now();
    await engine.start();
    const recomputeRate = count / ((performance.now() - started) / 1000);
    await engine.close();
    for (const line of [...lines2, ...engine.notes]) log(line);

    printTable(
      ['', 'figure', 'baseline', 'ratio'],
      [
        [
          'bytes per retained event',
          fmt(bytes),
          `${fmt(jsonBytes)} (JSON)`,
          `${(bytes / jsonBytes).toFixed(3)}`,
        ],
        [
          'ingest, events/s',
          fmt(on.rate),
          `${fmt(off.rate)} (--retain 0)`,
          `${(on.rate / off.rate).toFixed(2)}`,
        ],
        [
          'recompute at start, events/s',
          fmt(recomputeRate),
          `${fmt(on.rate)} (ingest)`,
          `${(recomputeRate / on.rate).toFixed(2)}`,
        ],
        [
          'data directory, bytes per event',
          fmt((on.storage?.dataDirBytes ?? NaN) / count),
          `${fmt((off.storage?.dataDirBytes ?? NaN) / count)} (--retain 0)`,
          '',
        ],
      ],
    );
    printResult({
      scenario: 'retained-log',
      metric: 'bytes per retained event',
      value: Math.round(bytes),
      unit: 'bytes',
      baseline: Math.round(jsonBytes),
      ratio: bytes / jsonBytes,
      goal: '<= 0.2x the JSON',
    });
    printResult({
      scenario: 'retained-log',
      metric: 'ingest rate with the log',
      value: Math.round(on.rate),
      unit: 'events/s',
      baseline: Math.round(off.rate),
      ratio: on.rate / off.rate,
      goal: '>= 0.8x --retain 0',
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
};

export default scenario;
