/**
 * The real Wikimedia recordings through every view of the shipped views files, on the delta path
 * and on plain Postgres, compared after every transaction: first the events arrive in transactions
 * of varying sizes, then they are retracted the same way (as an expiring window would), down to
 * an empty input. wikirecent's top10 is also checked against the recording's published ground truth.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { DeltaGraph } from '../src/engine/delta/interface.js';
import type { InputRecord } from '../src/engine/types.js';
import { recordMapper } from '../src/ingest/records.js';
import { EventGate } from '../src/sources/event-gate.js';
import { readRecording } from '../src/sources/replay.js';
import type { RawEvent } from '../src/sources/types.js';
import { loadSqlParser, parseViewsFile } from '../src/sql/views-file.js';
import { buildGraph } from './support/oracle/delta-side.js';
import { compareView } from './support/oracle/harness.js';
import { addTo, countChanges, countRows, differences, type Counted } from './support/oracle/multisets.js';
import { PgliteOracle } from './support/oracle/pglite-oracle.js';
import { deleteRows, insertRecords, loadViewsFile } from './support/oracle/views-file-oracle.js';
import { containsMzNow } from '../src/sql/planner/temporal-filter.js';
import { groundTruth2476, projectRoot, recording, RECORDING_2476 } from './support/shared-data.js';

const VIEWS_FILES = ['wikirecent.sql', 'examples.sql', 'dashboard.sql'].filter((f) =>
  existsSync(`${projectRoot}views/${f}`),
);
const RECORDINGS = [
  RECORDING_2476,
  'recentchange-2026-06-20-384.sse',
  'recentchange-2023-07-29-enwiki-100.jsonl',
];
/** Transaction sizes, in turn: single events, bursts, and everything between. */
const SIZES = [1, 3, 50, 7, 200, 2, 13, 120, 1, 31];

async function events(name: string): Promise<RawEvent[]> {
  const gate = new EventGate();
  const all = (await readRecording(recording(name))).map((line) => JSON.parse(line) as RawEvent);
  return all.filter((event) => gate.admit(event) === 'pass');
}

function batches<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0, n = 0; i < items.length; n++) {
    const size = SIZES[n % SIZES.length] ?? 1;
    out.push(items.slice(i, i + size));
    i += size;
  }
  return out;
}

describe(
  'real recordings through the shipped views, delta path against Postgres',
  { timeout: 900_000 },
  () => {
    let oracle: PgliteOracle;
    before(async () => {
      await loadSqlParser();
      oracle = await PgliteOracle.start();
    });
    after(async () => {
      await oracle?.close();
    });

    for (const viewsName of VIEWS_FILES) {
      for (const recordingName of RECORDINGS) {
        it(`views/${viewsName} on ${recordingName}`, async () => {
          const sql = readFileSync(`${projectRoot}views/${viewsName}`, 'utf8');
          const parsed = parseViewsFile(sql, `views/${viewsName}`);
          const graph: DeltaGraph = await buildGraph(sql);
          // Windows (mz_now()) and views over them depend on the clock: Postgres cannot
          // evaluate them, temporal-filter.test.ts checks them.
          const timed = new Set<string>();
          for (const v of graph.views)
            if (
              containsMzNow(parsed.views.find((p) => p.name === v.name)?.ast) ||
              v.reads.some((r) => timed.has(r))
            )
              timed.add(v.name);
          const file = { ...parsed, views: parsed.views.filter((v) => !timed.has(v.name)) };
          const views = graph.views.filter((v) => !timed.has(v.name));
          for (const view of graph.views)
            assert.equal(view.path, 'delta', `${view.name} is on ${view.path}: ${view.reason}`);
          await loadViewsFile(oracle, file, new Map(views.map((v) => [v.name, v.columns.length])));
          const table = file.inputTable.name;
          const map = recordMapper(file.tables[0]?.columns ?? []);
          const records: InputRecord[] = (await events(recordingName)).map((event) => map(event));
          const running = new Map<string, Counted>(
            views.map((v) => [v.name, countChanges(graph.snapshot(v.name))]),
          );
          let step = 0;
          const places: string[] = [];
          const transaction = async (batch: InputRecord[], diff: 1 | -1): Promise<void> => {
            step++;
            const deltas = graph.apply(
              batch.map((row) => ({ table, row, diff })),
              1_777_979_860_000 + step,
            );
            for (const d of deltas) {
              const sum = running.get(d.view);
              if (sum) for (const [row, n] of d.changes) addTo(sum, row, n);
            }
            if (diff > 0) places.push(...(await insertRecords(oracle, table, batch)));
            else await deleteRows(oracle, table, places.splice(0, batch.length));
            for (const view of views) {
              const found = await compareView(
                graph,
                oracle,
                view.name,
                running.get(view.name) ?? new Map(),
                step,
              );
              if (found) {
                assert.fail(
                  `views/${viewsName} on ${recordingName}, view ${found.view}, after transaction ${step} ` +
                    `(${diff > 0 ? 'inserting' : 'retracting'} ${batch.length} events): ${found.what}\n` +
                    `-- Postgres:\n${found.postgres}\n-- delta path:\n${found.delta}`,
                );
              }
            }
          };
          for (const batch of batches(records)) await transaction(batch, 1);
          if (viewsName === 'wikirecent.sql' && recordingName === RECORDING_2476) {
            const expected: Counted = countRows(groundTruth2476().slice(0, 10));
            assert.deepEqual(
              differences(expected, countChanges(graph.snapshot('top10'))),
              [],
              'top10 against the ground truth',
            );
          }
          for (const batch of batches(records)) await transaction(batch, -1);
        });
      }
    }
  },
);
