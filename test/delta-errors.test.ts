/**
 * Errors are data on the delta path: a row whose expression fails is an error for as
 * long as the row is in the input; an expression over an aggregate is an error for as long as the
 * aggregate has the failing value; a view reading a view in error is in error too; other views and
 * `apply` go on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildDeltaGraph } from '../src/engine/delta/graph.js';
import type { DeltaGraph, ViewDelta } from '../src/engine/delta/interface.js';
import { memoryStateStore } from '../src/engine/delta/memory-store.js';
import { parseViewsFile } from '../src/sql/views-file.js';

const TABLE = 'CREATE TABLE t (k text, v bigint, b boolean);';

function graphOf(views: string): DeltaGraph {
  return buildDeltaGraph(parseViewsFile(`${TABLE}\n${views}`, 'test.sql'), memoryStateStore());
}

function apply(graph: DeltaGraph, rows: Array<[string, number, number?]>): ViewDelta[] {
  return graph.apply(
    rows.map(([k, v, diff]) => ({ table: 't', row: { k, v, b: null }, diff: diff ?? 1 })),
    1,
  );
}

function sqlstates(graph: DeltaGraph, view: string): string[] {
  return graph.errors(view).map((e) => `${e.view}: ${e.sqlstate} ${e.message}`);
}

describe('errors are data on the delta path', { timeout: 30_000 }, () => {
  it('a row that fails is an error while it is in the input, and only that row', () => {
    const g = graphOf('CREATE VIEW inv AS SELECT k, 10 / v AS q FROM t;');
    const deltas = apply(g, [
      ['a', 0],
      ['b', 5],
    ]);
    const inv = deltas.find((d) => d.view === 'inv');
    assert.deepEqual(inv?.changes, [[['b', 2], 1]]);
    assert.deepEqual(inv?.errors, [[{ view: 'inv', sqlstate: '22012', message: 'division by zero' }, 1]]);
    assert.deepEqual(sqlstates(g, 'inv'), ['inv: 22012 division by zero']);
    const after = apply(g, [['a', 0, -1]]).find((d) => d.view === 'inv');
    assert.deepEqual(after?.errors, [[{ view: 'inv', sqlstate: '22012', message: 'division by zero' }, -1]]);
    assert.deepEqual(g.errors('inv'), []);
    assert.deepEqual(g.snapshot('inv'), [[['b', 2], 1]]);
  });

  it('an expression over an aggregate is an error while the aggregate has the failing value', () => {
    const g = graphOf(
      [
        'CREATE VIEW counter AS SELECT count(*) AS n FROM t;',
        'CREATE VIEW r AS SELECT 100 / (3 - count(*)) AS r FROM t;',
        'CREATE VIEW over_r AS SELECT r + 1 AS r1 FROM r;',
      ].join('\n'),
    );
    assert.deepEqual(g.snapshot('r'), [[[33], 1]]);
    apply(g, [
      ['a', 1],
      ['b', 1],
    ]);
    assert.deepEqual(g.snapshot('r'), [[[100], 1]]);
    apply(g, [['c', 1]]);
    assert.deepEqual(g.snapshot('r'), []);
    assert.deepEqual(sqlstates(g, 'r'), ['r: 22012 division by zero']);
    assert.deepEqual(sqlstates(g, 'over_r'), ['r: 22012 division by zero'], 'a view over it is in error too');
    assert.deepEqual(g.snapshot('counter'), [[[3], 1]], 'other views go on');
    apply(g, [['d', 1]]);
    assert.deepEqual(g.snapshot('r'), [[[-100], 1]]);
    assert.deepEqual(g.errors('r'), []);
    assert.deepEqual(g.errors('over_r'), []);
    assert.deepEqual(g.snapshot('over_r'), [[[-99], 1]]);
  });

  it('a failing group is an error while the other groups show their rows', () => {
    const g = graphOf('CREATE VIEW per_k AS SELECT k, 10 / (count(*) - 2) AS x FROM t GROUP BY k;');
    apply(g, [
      ['a', 1],
      ['a', 1],
      ['b', 1],
    ]);
    assert.deepEqual(g.snapshot('per_k'), [[['b', -10], 1]]);
    assert.deepEqual(sqlstates(g, 'per_k'), ['per_k: 22012 division by zero']);
    apply(g, [['a', 1, -1]]);
    assert.deepEqual(g.errors('per_k'), []);
  });

  it('a view that fails over no input is in error from the start, and recovers when rows arrive', () => {
    const g = graphOf('CREATE VIEW ratio AS SELECT count(*) FILTER (WHERE b) / count(*) AS r FROM t;');
    assert.deepEqual(sqlstates(g, 'ratio'), ['ratio: 22012 division by zero']);
    apply(g, [['a', 1]]);
    assert.deepEqual(g.errors('ratio'), []);
    assert.deepEqual(g.snapshot('ratio'), [[[0], 1]]);
  });

  it('a row that FILTER excludes never evaluates the aggregate argument, so it cannot fail', () => {
    const g = graphOf('CREATE VIEW f AS SELECT sum(10 / v) FILTER (WHERE v <> 0) AS s FROM t;');
    apply(g, [
      ['a', 0],
      ['b', 5],
    ]);
    assert.deepEqual(g.errors('f'), []);
    assert.deepEqual(g.snapshot('f'), [[['2'], 1]]);
  });

  it('LIMIT 0 reads nothing, as in Postgres: it is empty and never in error', () => {
    const g = graphOf('CREATE VIEW none AS SELECT 10 / v AS q FROM t ORDER BY q LIMIT 0;');
    apply(g, [['a', 0]]);
    assert.deepEqual(g.errors('none'), []);
    assert.deepEqual(g.snapshot('none'), []);
  });

  it('errors survive a restart: the store holds them like any other state', () => {
    const store = memoryStateStore();
    const parsed = parseViewsFile(`${TABLE}\nCREATE VIEW inv AS SELECT 10 / v AS q FROM t;`, 'test.sql');
    const g = buildDeltaGraph(parsed, store);
    apply(g, [['a', 0]]);
    const again = buildDeltaGraph(parsed, store);
    assert.deepEqual(sqlstates(again, 'inv'), ['inv: 22012 division by zero']);
    apply(again, [['a', 0, -1]]);
    assert.deepEqual(again.errors('inv'), []);
  });
});
