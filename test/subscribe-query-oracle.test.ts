/**
 * Queries over a served view, maintained on the delta path (hub/query-channels.ts), proved against
 * Postgres: random queries from the delta path's grammar (filters, projections, GROUP BY with every
 * aggregate, DISTINCT, top-k) over a served view `events`, random moments of that view's changes
 * (inserts, duplicates, retractions), and after every moment the query's rows must equal PGlite's
 * evaluation of the same SQL over the view's rows at that moment. Where Postgres raises an error
 * (a division by zero), the maintained query must be in error too. A failure prints the shrunk
 * counterexample as a psql script.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Change } from '../src/core/multiset.js';
import type { ViewInfo } from '../src/engine/types.js';
import { Hub } from '../src/hub/hub.js';
import { queryChannels } from '../src/hub/query-channels.js';
import { fromInput, toWire, type SqlType } from '../src/sql/scalar/index.js';
import { manualClock } from './support/clock.js';
import { FakeEngine, recordingLog } from './support/fake-engine.js';
import { fuzz } from './support/fuzz.js';
import { byValue, pickedRepresentative } from './support/oracle/harness.js';
import { countChanges, countRows, differences, listing } from './support/oracle/multisets.js';
import { PgliteOracle } from './support/oracle/pglite-oracle.js';
import { resolve, transactions, transactionSql, type RowChange } from './support/oracle/transactions.js';
import { inputValue, SQL_TYPE_NAME } from './support/oracle/values.js';
import {
  createTableSql,
  INPUT_TABLE,
  scenario,
  type GeneratedView,
  type InputColumn,
} from './support/oracle/views.js';

interface Case {
  columns: InputColumn[];
  queries: GeneratedView[];
  moments: RowChange[][];
}

/** Queries over the served view itself (the generator's views over views read other views). */
const cases: fc.Arbitrary<Case> = scenario
  .map((s) => ({ ...s, views: s.views.filter((v) => new RegExp(`FROM ${INPUT_TABLE}\\b`).test(v.sql)) }))
  .filter((s) => s.views.length > 0)
  .chain((s) =>
    transactions(s.columns).map((steps) => ({
      columns: s.columns,
      queries: s.views,
      moments: resolve(steps),
    })),
  );

/** The served view's rows as the hub holds them: wire values, as a delta-path view emits them. */
function wireRow(columns: InputColumn[], row: RowChange['row']): unknown[] {
  return columns.map((c, i) => {
    const input = inputValue(c.type, row[i] ?? null);
    const type = SQL_TYPE_NAME[c.type] as SqlType;
    return input === null ? null : toWire(type, fromInput(type, input));
  });
}

function repro(c: Case, query: GeneratedView, moment: number, problem: string): string {
  return [
    `query ${query.sql}`,
    `after moment ${moment + 1} of ${c.moments.length}: ${problem}`,
    '-- psql:',
    createTableSql(c.columns),
    ...c.moments.slice(0, moment + 1).map((m) => transactionSql(c.columns, m)),
    `${query.oracleSql};`,
  ].join('\n');
}

/** The first disagreement of the case, or null. */
async function disagreement(oracle: PgliteOracle, c: Case): Promise<string | null> {
  await oracle.load(createTableSql(c.columns), []);
  const engine = new FakeEngine([INPUT_TABLE]);
  const info: ViewInfo = {
    name: INPUT_TABLE,
    columns: c.columns.map((col) => ({ name: col.name, type: SQL_TYPE_NAME[col.type] })),
    path: 'delta',
  };
  (engine.views as ViewInfo[])[0] = info;
  const log = recordingLog();
  const hub = new Hub(engine, { clock: manualClock(), log });
  const started = hub.start();
  engine.open(INPUT_TABLE, 1, []);
  await started;
  const registry = queryChannels(hub);
  const errors = new Map<string, number>();
  const stopErrors = registry.onErrors((name, list) => errors.set(name, list.length));
  const maintained = c.queries.map((q) => ({ query: q, ...registry.acquire(q.sql) }));
  try {
    for (let m = 0; m < c.moments.length; m++) {
      const changes = (c.moments[m] ?? []).map(({ row, diff }): Change => [wireRow(c.columns, row), diff]);
      engine.step(INPUT_TABLE, m + 2, changes);
      await oracle.run(transactionSql(c.columns, c.moments[m] ?? []));
      for (const { query, channel } of maintained) {
        if (channel.timestamp !== m + 2)
          return repro(c, query, m, `at ${channel.timestamp}, not ${m + 2}: ${log.lines.join('; ')}`);
        const inError = (errors.get(channel.name) ?? 0) > 0;
        const expected = await oracle.evaluate(query.oracleSql);
        if ('error' in expected) {
          if (!inError)
            return repro(c, query, m, `Postgres raised ${expected.error.message}; the query is not in error`);
          continue;
        }
        if (inError) {
          // The delta path keeps the errors of every row (a LIMIT's too); Postgres must agree on the input.
          const probe = await oracle.evaluate(query.errorProbeSql ?? query.oracleSql);
          if (!('error' in probe)) return repro(c, query, m, 'the query is in error; Postgres raised none');
          continue;
        }
        const actual = countChanges(channel.rows.counted());
        const wanted = countRows(expected.rows);
        const diff = differences(wanted, actual);
        // Postgres may show any of several equal numerics (1.0, 1.00) there: compared by value.
        const anyScale =
          pickedRepresentative(query.sql) && differences(byValue(wanted), byValue(actual)).length === 0;
        if (diff.length > 0 && !anyScale) {
          return repro(c, query, m, `rows differ:\n${diff.join('\n')}\nexpected:\n${listing(wanted)}`);
        }
      }
    }
    return null;
  } finally {
    for (const q of maintained) q.release();
    stopErrors();
    assert.equal(registry.size, 0, 'every pipeline stops with its last subscriber');
    hub.close();
  }
}

describe('SUBSCRIBE of a query on the delta path against Postgres', { timeout: 600_000 }, () => {
  let oracle: PgliteOracle;
  before(async () => {
    oracle = await PgliteOracle.start();
  });
  after(async () => {
    await oracle?.close();
  });

  it('every random query over a served view equals Postgres after every moment', async () => {
    const property = fc.asyncProperty(cases, async (c) => {
      const found = await disagreement(oracle, c);
      if (found) throw new Error(found);
    });
    const details = await fc.check(property, fuzz(150));
    if (details.failed) {
      const error = details.errorInstance as Error | undefined;
      assert.fail(
        `${error?.message ?? String(details.errorInstance)}\n\n` +
          `(after ${details.numShrinks} shrinks; replay with FUZZ_SEED=${details.seed}, path ${details.counterexamplePath})`,
      );
    }
  });
});
