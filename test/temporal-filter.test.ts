/**
 * Sliding windows with mz_now() on the delta path, driven by transaction timestamps
 * (the engine's clock): a row is in the view from its arrival until its window ends, retracted at
 * the first transaction at or after the boundary, through aggregates and top-k; rows already expired
 * on arrival never appear; the operator holds only rows inside their windows; Materialize's errors
 * for mz_now() where it may not be used.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Change } from '../src/core/multiset.js';
import { ViewDefinitionError } from '../src/core/errors.js';
import { buildDeltaGraph } from '../src/engine/delta/graph.js';
import type { DeltaGraph } from '../src/engine/delta/interface.js';
import { memoryStateStore, type MemoryStateStore } from '../src/engine/delta/memory-store.js';
import { loadSqlParser, parseViewsFile } from '../src/sql/views-file.js';
import { fuzz } from './support/fuzz.js';

const TABLE = 'CREATE TABLE t (k text, ms bigint, s bigint);';
const MIN = 60_000;
const T0 = 1_780_000_000_000;

function graphOf(views: string, store: MemoryStateStore = memoryStateStore()): DeltaGraph {
  return buildDeltaGraph(parseViewsFile(`${TABLE}\n${views}`, 'test.sql'), store);
}

const sorted = (changes: Change[]): Change[] =>
  changes.slice().sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));

/** One transaction at `at` (ms): rows [k, event ms, diff]; returns the view's changes. */
function step(
  graph: DeltaGraph,
  view: string,
  at: number,
  rows: Array<[string, number, number?]> = [],
): Change[] {
  const input = rows.map(([k, ms, diff]) => ({
    table: 't',
    row: { k, ms, s: Math.floor(ms / 1000) },
    diff: diff ?? 1,
  }));
  return sorted(graph.apply(input, at).find((d) => d.view === view)?.changes ?? []);
}

const WINDOW = 'CREATE VIEW recent AS SELECT k FROM t WHERE mz_now() <= ms + 300000;';

describe('temporal filters (mz_now)', { timeout: 60_000 }, () => {
  before(async () => {
    await loadSqlParser();
  });

  it('a five-minute window retracts exactly at its boundary, at a timestamp of its own', () => {
    const g = graphOf(WINDOW);
    assert.equal(g.views[0]?.path, 'delta');
    assert.deepEqual(step(g, 'recent', T0, [['a', T0]]), [[['a'], 1]]);
    assert.deepEqual(step(g, 'recent', T0 + 5 * MIN), [], 'still inside at the last millisecond');
    assert.deepEqual(sorted(g.snapshot('recent')), [[['a'], 1]]);
    assert.deepEqual(step(g, 'recent', T0 + 5 * MIN + 1), [[['a'], -1]], 'gone one millisecond later');
    assert.deepEqual(g.snapshot('recent'), []);
    assert.equal(g.due?.(T0 + 10 * MIN), false, 'nothing left to do');
  });

  it('the timestamp form: to_timestamp(seconds) + INTERVAL, and a late tick retracts at its own time', () => {
    const g = graphOf(
      "CREATE VIEW recent AS SELECT k FROM t WHERE mz_now() <= to_timestamp(s) + INTERVAL '5 minutes';",
    );
    assert.deepEqual(step(g, 'recent', T0, [['a', T0]]), [[['a'], 1]]);
    assert.equal(g.due?.(T0 + 5 * MIN), false);
    assert.equal(g.due?.(T0 + 5 * MIN + 1), true);
    assert.deepEqual(step(g, 'recent', T0 + 7 * MIN), [[['a'], -1]]);
  });

  it('rows already expired on arrival never appear; a retraction inside the window cancels the pending one', () => {
    const store = memoryStateStore();
    const g = graphOf(WINDOW, store);
    assert.deepEqual(step(g, 'recent', T0, [['old', T0 - 6 * MIN]]), []);
    assert.equal(store.size, 0, 'an expired row is not kept');
    step(g, 'recent', T0, [['a', T0]]);
    assert.deepEqual(step(g, 'recent', T0 + MIN, [['a', T0, -1]]), [[['a'], -1]]);
    assert.equal(g.due?.(T0 + 5 * MIN + 1), false);
    assert.deepEqual(step(g, 'recent', T0 + 6 * MIN), []);
  });

  it('a window that opens later (mz_now() >= ...) and BETWEEN insert the row when it opens', () => {
    const g = graphOf(
      'CREATE VIEW later AS SELECT k FROM t WHERE mz_now() BETWEEN ms + 60000 AND ms + 120000;',
    );
    assert.deepEqual(step(g, 'later', T0, [['a', T0]]), []);
    assert.deepEqual(step(g, 'later', T0 + MIN), [[['a'], 1]]);
    assert.deepEqual(step(g, 'later', T0 + 2 * MIN), []);
    assert.deepEqual(step(g, 'later', T0 + 2 * MIN + 1), [[['a'], -1]]);
  });

  it('an aggregate and a top-k over a window follow it; the other conjuncts still filter', () => {
    const g = graphOf(`${WINDOW}
      CREATE VIEW per_k AS SELECT k, count(*) AS n FROM t WHERE mz_now() <= ms + 300000 AND k <> 'bot' GROUP BY k;
      CREATE VIEW top1 AS SELECT k, n FROM per_k ORDER BY n DESC, k LIMIT 1;
      CREATE VIEW total AS SELECT count(*) AS n FROM recent;`);
    step(g, 'per_k', T0, [
      ['a', T0],
      ['bot', T0],
      ['bot', T0],
    ]);
    step(g, 'per_k', T0 + MIN, [
      ['b', T0 + MIN],
      ['b', T0 + MIN],
    ]);
    assert.deepEqual(sorted(g.snapshot('per_k')), [
      [['a', 1], 1],
      [['b', 2], 1],
    ]);
    assert.deepEqual(g.snapshot('top1'), [[['b', 2], 1]]);
    assert.deepEqual(g.snapshot('total'), [[[5], 1]]);
    const out = g.apply([], T0 + 5 * MIN + 1);
    assert.deepEqual(sorted(out.find((d) => d.view === 'per_k')?.changes ?? []), [[['a', 1], -1]]);
    assert.deepEqual(g.snapshot('total'), [[[2], 1]]);
    g.apply([], T0 + 6 * MIN + 1);
    assert.deepEqual(g.snapshot('per_k'), []);
    assert.deepEqual(g.snapshot('top1'), []);
    assert.deepEqual(g.snapshot('total'), [[[0], 1]]);
  });

  it('pending retractions survive a restart (the StateStore), and memory holds only live rows', () => {
    const store = memoryStateStore();
    const g = graphOf(WINDOW, store);
    for (let i = 0; i < 100; i++) step(g, 'recent', T0 + i * MIN, [[`k${i}`, T0 + i * MIN]]);
    // Five minutes' worth of rows are inside the window: their pending retractions are all it holds.
    assert.equal(store.size, 6 + 6);
    const again = graphOf(WINDOW, store);
    assert.deepEqual(sorted(again.snapshot('recent')).length, 6);
    assert.deepEqual(step(again, 'recent', T0 + 99 * MIN + 1), [[['k94'], -1]]);
  });

  it('property: after every transaction the view holds exactly the rows whose window contains its time', () => {
    const op = fc.record({
      advance: fc.integer({ min: 1, max: 4 * MIN }),
      rows: fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: -7 * MIN, max: MIN })), {
        maxLength: 4,
      }),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 25 }), (ops) => {
        const g = graphOf(WINDOW);
        const live: Array<[string, number]> = [];
        let now = T0;
        for (const { advance, rows } of ops) {
          now += advance;
          const events = rows.map(([k, offset]): [string, number] => [k, now + offset]);
          live.push(...events);
          g.apply(
            events.map(([k, ms]) => ({ table: 't', row: { k, ms, s: 0 }, diff: 1 })),
            now,
          );
          const expected = new Map<string, number>();
          for (const [k, ms] of live) if (now <= ms + 5 * MIN) expected.set(k, (expected.get(k) ?? 0) + 1);
          const actual = new Map(g.snapshot('recent').map(([row, n]) => [String(row[0]), n]));
          assert.deepEqual(actual, expected, `at +${now - T0} ms`);
        }
      }),
      fuzz(200),
    );
  });

  it("Materialize's rules: what may be compared with mz_now(), with its errors for the rest", () => {
    const error = (where: string, select = 'k'): string => {
      try {
        graphOf(`CREATE VIEW v AS SELECT ${select} FROM t WHERE ${where};`);
      } catch (e) {
        assert.ok(e instanceof ViewDefinitionError, String(e));
        return e.message;
      }
      return 'no error';
    };
    assert.match(
      error("mz_now() - INTERVAL '5 minutes' > to_timestamp(s)"),
      /operator does not exist: mz_timestamp - interval/,
    );
    assert.match(error('mz_now() <> ms'), /Unsupported temporal predicate/);
    assert.match(error("mz_now() <= ms OR k = 'a'"), /Unsupported temporal predicate/);
    assert.match(error('NOT (mz_now() <= ms)'), /Unsupported temporal predicate/);
    assert.match(
      error('mz_now() <= ms::double precision'),
      /operator does not exist: mz_timestamp <= double precision/,
    );
    assert.match(error('mz_now() <= k'), /operator does not exist: mz_timestamp <= text/);
    assert.match(error('true', 'mz_now()'), /Unsupported temporal predicate/);
    assert.match(error('mz_now() <= ms AND k IN (SELECT k FROM t)'), /mz_now\(\) needs the delta path/);
    // Accepted: every implicitly castable type, either side, conjunctions.
    for (const ok of [
      'ms >= mz_now()',
      "mz_now() < to_timestamp(s)::timestamp + INTERVAL '1 hour'",
      'mz_now() = ms',
      "mz_now() > '2026-01-01'::date AND k = 'a'",
      'mz_now() <= s::numeric * 1000 + 300000',
    ])
      assert.equal(error(ok), 'no error', ok);
  });
});
