/**
 * Operator state lives in the StateStore: a graph built again on the same store (a restart) has
 * the same contents without seeing any past input, and goes on exactly as the first one would.
 * State shrinks back when rows are retracted, so it follows the live data, not the history.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Change } from '../src/core/multiset.js';
import { buildDeltaGraph } from '../src/engine/delta/graph.js';
import type { DeltaGraph, InputChange } from '../src/engine/delta/interface.js';
import { memoryStateStore } from '../src/engine/delta/memory-store.js';
import { parseViewsFile } from '../src/sql/views-file.js';

const VIEWS = `
CREATE TABLE t (k text, v bigint);
CREATE VIEW counter AS SELECT count(*) AS n FROM t;
CREATE VIEW per_k AS SELECT k, count(*) AS n, min(v) AS lo, count(DISTINCT v) AS dv FROM t GROUP BY k;
CREATE VIEW top2 AS SELECT * FROM per_k ORDER BY n DESC LIMIT 2;
CREATE VIEW ks AS SELECT DISTINCT k FROM t WHERE v > 0;
CREATE VIEW positive AS SELECT k, v FROM t WHERE v > 0;
CREATE VIEW doubled AS SELECT n * 2 AS d FROM counter;
CREATE VIEW distinct_counts AS SELECT DISTINCT n FROM per_k;
`;
const NAMES = ['counter', 'per_k', 'top2', 'ks', 'positive', 'doubled', 'distinct_counts'];

function changes(seed: number, n: number, sign = 1): InputChange[] {
  const out: InputChange[] = [];
  for (let i = 0; i < n; i++) {
    const x = (seed * 31 + i * 17) % 23;
    out.push({ table: 't', row: { k: `k${x % 5}`, v: x - 3 }, diff: sign });
  }
  return out;
}

function snapshots(graph: DeltaGraph): Record<string, Change[]> {
  const sort = (c: Change[]): Change[] =>
    c.slice().sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  return Object.fromEntries(NAMES.map((v) => [v, sort(graph.snapshot(v))]));
}

describe('delta state across restarts', { timeout: 30_000 }, () => {
  it('a graph rebuilt from the store has the same contents and continues identically', () => {
    const parsed = parseViewsFile(VIEWS, 'test.sql');
    const store = memoryStateStore();
    const first = buildDeltaGraph(parsed, store);
    for (let i = 0; i < 5; i++) first.apply(changes(i, 40), i + 1);
    first.apply(changes(2, 40, -1), 6);

    const restarted = buildDeltaGraph(parsed, store);
    assert.deepEqual(snapshots(restarted), snapshots(first));
    // Both go on with the same transaction: the same changes come out.
    const reference = buildDeltaGraph(parsed, memoryStateStore());
    for (let i = 0; i < 5; i++) reference.apply(changes(i, 40), i + 1);
    reference.apply(changes(2, 40, -1), 6);
    assert.deepEqual(restarted.apply(changes(9, 30), 7), reference.apply(changes(9, 30), 7));
    assert.deepEqual(snapshots(restarted), snapshots(reference));
  });

  it('a view over a global aggregate has its row from the start, and after a restart', () => {
    const parsed = parseViewsFile(VIEWS, 'test.sql');
    const store = memoryStateStore();
    const fresh = buildDeltaGraph(parsed, store);
    assert.deepEqual(fresh.snapshot('doubled'), [[[0], 1]]);
    assert.deepEqual(buildDeltaGraph(parsed, store).snapshot('doubled'), [[[0], 1]]);
  });

  it('stores state only where a table is read; views over views are seeded from what they read', () => {
    const parsed = parseViewsFile(VIEWS, 'test.sql');
    const store = memoryStateStore();
    const graph = buildDeltaGraph(parsed, store);
    const empty = store.size;
    for (let i = 0; i < 4; i++) graph.apply(changes(i, 25), i + 1);
    assert.deepEqual(store.operators().sort(), [
      'counter/reduce',
      'ks/distinct',
      'per_k/reduce',
      'positive/rows',
    ]);
    for (let i = 0; i < 4; i++) graph.apply(changes(i, 25, -1), 10 + i);
    assert.equal(store.size, empty, 'only the global aggregate stays, as it was');
    assert.deepEqual(graph.snapshot('counter'), [[[0], 1]]);
    assert.deepEqual(graph.snapshot('doubled'), [[[0], 1]]);
    for (const view of ['per_k', 'top2', 'ks', 'positive', 'distinct_counts']) {
      assert.deepEqual(graph.snapshot(view), [], view);
    }
  });
});
