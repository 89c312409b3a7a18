/**
 * Decoding recorded events alone: on-demand decoding (core/json-fields.ts) of the fields that
 * views/wikirecent.sql and views/dashboard.sql read plus those the sources read, against `JSON.parse`
 * and the exact whole parse the sources used before (parseJson), on the same lines in the same run.
 * Passes alternate (JSON.parse, then each decoder) and each figure is the median of five: the machine is
 * shared and its load moves.
 */
import { readFileSync } from 'node:fs';
import { parseJson } from '../src/core/exact-json.js';
import { inputColumnsRead } from '../src/engine/embedded/columns-read.js';
import { fieldsRead } from '../src/ingest/records.js';
import { eventParser } from '../src/sources/event-schema.js';
import { loadSqlParser, parseViewsFile } from '../src/sql/views-file.js';
import { cpuMs, recordingLines, viewsFile } from './support/recording.js';
import { fmt, loadAverage, log, median, printTable } from './support/stats.js';
import { printResult, type Scenario } from './result.js';

async function decoderFor(views: string): Promise<{ columns: string[]; decode: (text: string) => unknown }> {
  const file = viewsFile(views);
  await loadSqlParser();
  const parsed = parseViewsFile(readFileSync(file, 'utf8'), file);
  const input = parsed.tables[0];
  if (!input) throw new Error(`${file}: no input table`);
  const columns = inputColumnsRead(parsed.views, input);
  return { columns: columns.map((c) => c.name), decode: eventParser(fieldsRead(columns)) };
}

/** Events per CPU-second of one pass of `decode` over the lines. */
function pass(lines: string[], decode: (text: string) => unknown): number {
  const cpu0 = process.cpuUsage();
  for (const line of lines) decode(line);
  return (lines.length / cpuMs(cpu0)) * 1000;
}

const scenario: Scenario = async ({ quick }) => {
  const lines = recordingLines(quick ? 20_000 : 100_000);
  const decoders: Array<[string, (text: string) => unknown]> = [['parseJson (whole, exact)', parseJson]];
  for (const views of ['wikirecent', 'dashboard']) {
    const { columns, decode } = await decoderFor(views);
    log(`${views}.sql reads ${columns.join(', ')}`);
    decoders.push([`on demand, ${views}.sql's fields`, decode]);
  }
  log(`${fmt(lines.length, 0)} recorded events per pass; load average ${loadAverage()}`);
  const baseline: number[] = [];
  const rates = decoders.map((): number[] => []);
  for (let round = 0; round < 5; round++) {
    baseline.push(pass(lines, (text) => JSON.parse(text)));
    for (const [i, [, decode]] of decoders.entries()) rates[i]?.push(pass(lines, decode));
  }
  const base = median(baseline);
  printTable(
    ['decoding', 'events per CPU-second', 'µs per event', 'x JSON.parse'],
    [
      ['JSON.parse (baseline)', fmt(base, 0), (1e6 / base).toFixed(2), '1.00'],
      ...decoders.map(([name], i) => {
        const rate = median(rates[i] ?? []);
        return [name, fmt(rate, 0), (1e6 / rate).toFixed(2), (rate / base).toFixed(2)];
      }),
    ],
  );
  const wikirecent = median(rates[1] ?? []);
  printResult({
    scenario: 'event-decode',
    metric: "events per CPU-second, on-demand decoding of wikirecent.sql's fields",
    value: Math.round(wikirecent),
    unit: 'events/CPU-s',
    baseline: Math.round(base),
    ratio: Number((wikirecent / base).toFixed(2)),
    goal: 'faster than JSON.parse',
  });
};

export default scenario;
