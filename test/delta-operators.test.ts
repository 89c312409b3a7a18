/**
 * The delta operators as a user meets them, through views: a multiset of input rows goes in per
 * transaction, each view's consolidated changes come out. Retractions, NULL groups, a group that
 * disappears, DISTINCT counts, min/max after the current min goes, top-k ties and OFFSET.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Change } from '../src/core/multiset.js';
import { buildDeltaGraph } from '../src/engine/delta/graph.js';
import type { DeltaGraph } from '../src/engine/delta/interface.js';
import { memoryStateStore } from '../src/engine/delta/memory-store.js';
import { parseViewsFile } from '../src/sql/views-file.js';

const TABLE = 'CREATE TABLE t (k text, v bigint, b boolean);';

type Input = [k: string | null, v: number | bigint | null, diff?: number, b?: boolean | null];

function graphOf(views: string): DeltaGraph {
  return buildDeltaGraph(parseViewsFile(`${TABLE}\n${views}`, 'test.sql'), memoryStateStore());
}

function sorted(changes: Change[]): Change[] {
  return changes.slice().sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));
}

/** Applies one transaction and returns the view's consolidated changes, sorted. */
function step(graph: DeltaGraph, view: string, rows: Input[], timestamp = 1): Change[] {
  const deltas = graph.apply(
    rows.map(([k, v, diff, b]) => ({ table: 't', row: { k, v, b: b ?? null }, diff: diff ?? 1 })),
    timestamp,
  );
  return sorted(deltas.find((d) => d.view === view)?.changes ?? []);
}

function contents(graph: DeltaGraph, view: string): Change[] {
  return sorted(graph.snapshot(view));
}

describe('delta operators', { timeout: 30_000 }, () => {
  it('filter and projection: WHERE keeps only true rows (not NULL), retractions remove copies', () => {
    const g = graphOf('CREATE VIEW big AS SELECT k, v * 2 AS w FROM t WHERE v > 1;');
    assert.deepEqual(
      step(g, 'big', [
        ['a', 1],
        ['b', 2],
        ['b', 2],
        ['c', null],
      ]),
      [[['b', 4], 2]],
    );
    assert.deepEqual(
      step(g, 'big', [
        ['b', 2, -1],
        ['d', 5],
      ]),
      [
        [['b', 4], -1],
        [['d', 10], 1],
      ],
    );
    assert.deepEqual(contents(g, 'big'), [
      [['b', 4], 1],
      [['d', 10], 1],
    ]);
  });

  it('an insert and its retraction in one transaction change nothing', () => {
    const g = graphOf('CREATE VIEW all_rows AS SELECT * FROM t;');
    assert.deepEqual(
      step(g, 'all_rows', [
        ['a', 1],
        ['a', 1, -1],
      ]),
      [],
    );
    assert.deepEqual(contents(g, 'all_rows'), []);
  });

  it('group by: counts follow retractions, a NULL key is a group, a group goes with its last row', () => {
    const g = graphOf('CREATE VIEW per_k AS SELECT k, count(*) AS n, count(v) AS nv FROM t GROUP BY k;');
    assert.deepEqual(
      step(g, 'per_k', [
        ['a', 1],
        ['a', null],
        [null, 3],
      ]),
      [
        [['a', 2, 1], 1],
        [[null, 1, 1], 1],
      ],
    );
    assert.deepEqual(step(g, 'per_k', [['a', null, -1]]), [
      [['a', 1, 1], 1],
      [['a', 2, 1], -1],
    ]);
    assert.deepEqual(step(g, 'per_k', [['a', 1, -1]]), [[['a', 1, 1], -1]]);
    assert.deepEqual(contents(g, 'per_k'), [[[null, 1, 1], 1]]);
  });

  it('sum and avg are exact numeric and NULL without values; min and max survive losing the current one', () => {
    const g = graphOf(
      'CREATE VIEW s AS SELECT k, sum(v) AS s, avg(v) AS a, min(v) AS lo, max(v) AS hi FROM t GROUP BY k;',
    );
    step(g, 's', [
      ['a', 9007199254740993n],
      ['a', 1],
      ['a', 1],
      ['b', null],
    ]);
    const [a, b] = contents(g, 's');
    assert.deepEqual(a?.[0].slice(0, 2), ['a', '9007199254740995'], 'integers beyond 2^53 stay exact');
    assert.deepEqual(a?.[0].slice(3), [1, '9007199254740993']);
    assert.deepEqual(b, [['b', null, null, null, null], 1]);
    // One copy of the minimum goes: it is still the minimum; the other goes too: the next one is.
    step(g, 's', [['a', 1, -1]]);
    assert.deepEqual(contents(g, 's')[0]?.[0].slice(3), [1, '9007199254740993']);
    step(g, 's', [
      ['a', 1, -1],
      ['a', 7],
    ]);
    assert.deepEqual(contents(g, 's')[0]?.[0].slice(3), [7, '9007199254740993']);
    step(g, 's', [['a', 9007199254740993n, -1]]);
    assert.deepEqual(contents(g, 's')[0]?.[0], ['a', '7', '7.0000000000000000', 7, 7]);
  });

  it('count(DISTINCT) counts values while any copy is present; FILTER and HAVING apply per group', () => {
    const g = graphOf(
      [
        'CREATE VIEW d AS SELECT k, count(DISTINCT v) AS dv, count(*) FILTER (WHERE b) AS nb FROM t GROUP BY k',
        '  HAVING count(*) > 1;',
      ].join('\n'),
    );
    assert.deepEqual(step(g, 'd', [['a', 1, 1, true]]), [], 'HAVING hides a group of one row');
    assert.deepEqual(
      step(g, 'd', [
        ['a', 1, 1, false],
        ['a', 2, 1, null],
      ]),
      [[['a', 2, 1], 1]],
    );
    assert.deepEqual(step(g, 'd', [['a', 1, -1, true]]), [
      [['a', 2, 0], 1],
      [['a', 2, 1], -1],
    ]);
    assert.deepEqual(step(g, 'd', [['a', 1, -1, false]]), [[['a', 2, 0], -1]]);
  });

  it('an aggregate without GROUP BY has one row, also over no input and after every row is retracted', () => {
    const g = graphOf('CREATE VIEW c AS SELECT count(*) AS n, sum(v) AS s, max(v) AS m FROM t;');
    assert.deepEqual(contents(g, 'c'), [[[0, null, null], 1]]);
    assert.deepEqual(step(g, 'c', [['a', 5]]), [
      [[0, null, null], -1],
      [[1, '5', 5], 1],
    ]);
    assert.deepEqual(step(g, 'c', [['a', 5, -1]]), [
      [[0, null, null], 1],
      [[1, '5', 5], -1],
    ]);
  });

  it('SELECT DISTINCT shows a row once while any copy is present', () => {
    const g = graphOf('CREATE VIEW ks AS SELECT DISTINCT k FROM t;');
    assert.deepEqual(
      step(g, 'ks', [
        ['a', 1],
        ['a', 2],
        [null, 1],
      ]),
      [
        [['a'], 1],
        [[null], 1],
      ],
    );
    assert.deepEqual(step(g, 'ks', [['a', 1, -1]]), []);
    assert.deepEqual(step(g, 'ks', [['a', 2, -1]]), [[['a'], -1]]);
  });

  it('top-k: ties are broken by the output columns ascending, and a retraction lets the next row in', () => {
    const g = graphOf('CREATE VIEW top2 AS SELECT k, v FROM t ORDER BY v DESC LIMIT 2;');
    assert.deepEqual(
      step(g, 'top2', [
        ['c', 5],
        ['b', 5],
        ['a', 5],
        ['z', 1],
      ]),
      [
        [['a', 5], 1],
        [['b', 5], 1],
      ],
    );
    assert.deepEqual(step(g, 'top2', [['a', 5, -1]]), [
      [['a', 5], -1],
      [['c', 5], 1],
    ]);
    assert.deepEqual(step(g, 'top2', [['z', 1]]), [], 'a change below the window emits nothing');
    assert.deepEqual(step(g, 'top2', [['y', 9]]), [
      [['c', 5], -1],
      [['y', 9], 1],
    ]);
  });

  it('top-k: DESC puts NULLs first unless NULLS LAST; OFFSET skips rows; copies count one by one', () => {
    const nullsFirst = graphOf('CREATE VIEW t1 AS SELECT v FROM t ORDER BY v DESC LIMIT 1;');
    assert.deepEqual(
      step(nullsFirst, 't1', [
        ['a', 3],
        ['b', null],
      ]),
      [[[null], 1]],
    );
    const nullsLast = graphOf('CREATE VIEW t1 AS SELECT v FROM t ORDER BY v DESC NULLS LAST LIMIT 1;');
    assert.deepEqual(
      step(nullsLast, 't1', [
        ['a', 3],
        ['b', null],
      ]),
      [[[3], 1]],
    );
    const offset = graphOf('CREATE VIEW page AS SELECT v FROM t ORDER BY v LIMIT 2 OFFSET 1;');
    assert.deepEqual(
      step(offset, 'page', [
        ['a', 1],
        ['a', 2, 2],
        ['a', 3],
      ]),
      [[[2], 2]],
    );
    assert.deepEqual(step(offset, 'page', [['a', 1, -1]]), [
      [[2], -1],
      [[3], 1],
    ]);
  });

  it('top-k over a grouped view, ordered by an expression that is not an output column', () => {
    const g = graphOf(
      [
        'CREATE VIEW per_k AS SELECT k, count(*) AS n FROM t GROUP BY k;',
        'CREATE VIEW top1 AS SELECT k FROM per_k ORDER BY n * -1 LIMIT 1;',
      ].join('\n'),
    );
    assert.deepEqual(
      step(g, 'top1', [
        ['a', 1],
        ['b', 1],
        ['b', 1],
      ]),
      [[['b'], 1]],
    );
    assert.deepEqual(step(g, 'top1', [['b', 1, -2]]), [
      [['a'], 1],
      [['b'], -1],
    ]);
    assert.deepEqual(contents(g, 'top1'), [[['a'], 1]]);
  });

  it('ORDER BY without LIMIT leaves a view as it is: a multiset', () => {
    const g = graphOf('CREATE VIEW ordered AS SELECT k FROM t ORDER BY k DESC;');
    assert.deepEqual(
      step(g, 'ordered', [
        ['a', 1],
        ['b', 1],
      ]),
      [
        [['a'], 1],
        [['b'], 1],
      ],
    );
  });
});
