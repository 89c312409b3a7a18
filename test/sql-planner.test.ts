/**
 * The planner as a user sees it at start-up: which path each view takes and, for PGlite, why; the
 * columns a view has (the names and types Postgres gives them, checked against PGlite); and the
 * errors Postgres would raise too, with the view's name and line.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { ViewDefinitionError } from '../src/core/errors.js';
import { compilePlans, planViews } from '../src/sql/planner/plan-views.js';
import { parseViewsFile } from '../src/sql/views-file.js';

const TABLE = 'CREATE TABLE t (k text, v bigint, n integer, b boolean, d numeric, ts timestamptz);';

function plan(views: string, options: { forcePglite?: boolean } = {}) {
  return planViews(parseViewsFile(`${TABLE}\n${views}`, 'views.sql'), options);
}

function pathOf(query: string): string {
  const [view] = plan(`CREATE VIEW v AS ${query};`);
  return view?.path === 'delta' ? 'delta' : `pglite: ${view?.reason}`;
}

describe('planner', { timeout: 60_000 }, () => {
  it('puts the supported shapes on the delta path', () => {
    for (const query of [
      'SELECT * FROM t',
      'SELECT k, v + 1 AS w FROM t AS x WHERE x.b AND v BETWEEN 1 AND 9',
      'SELECT k, count(*), count(v) AS cv, count(DISTINCT v) AS dv, sum(v), avg(v), min(k), max(ts) FROM t GROUP BY k',
      'SELECT count(*) FILTER (WHERE b) AS bots, 100 / (3 - count(*)) AS r FROM t HAVING count(*) > 0',
      'SELECT lower(k) AS k, count(*) FROM t GROUP BY 1',
      'SELECT DISTINCT k, b FROM t',
      'SELECT k, v FROM t ORDER BY v DESC NULLS LAST, 1 LIMIT 10 OFFSET 5',
      'SELECT k FROM t GROUP BY k ORDER BY count(*) DESC LIMIT 3',
      'SELECT k FROM t ORDER BY v',
      'SELECT (v IN (1, 2)) AS small, count(*) FROM t GROUP BY (v IN (1, 2))',
    ]) {
      assert.equal(pathOf(query), 'delta', query);
    }
  });

  it('sends every other shape to PGlite with a reason a user understands', () => {
    const cases: Array<[string, string]> = [
      ['SELECT a.k FROM t a JOIN t b ON a.k = b.k', 'joins run on PGlite'],
      ['SELECT a.k FROM t a, t b', 'joins run on PGlite'],
      ['SELECT k, rank() OVER (ORDER BY v) FROM t', 'window functions run on PGlite'],
      ['SELECT k FROM (SELECT k FROM t) s', 'subqueries run on PGlite'],
      ['SELECT k FROM t WHERE v IN (SELECT v FROM t)', 'subqueries run on PGlite'],
      ['SELECT k FROM t UNION SELECT k FROM t', 'UNION, INTERSECT and EXCEPT run on PGlite'],
      ['WITH w AS (SELECT k FROM t) SELECT k FROM w', 'WITH queries run on PGlite'],
      ['SELECT 1', 'a view without FROM runs on PGlite'],
      ['SELECT DISTINCT ON (k) k, v FROM t', 'DISTINCT ON runs on PGlite'],
      ['SELECT k, count(*) FROM t GROUP BY ROLLUP (k)', 'GROUPING SETS, ROLLUP and CUBE run on PGlite'],
      ["SELECT string_agg(k, ',') FROM t", 'the aggregate string_agg runs on PGlite'],
      ['SELECT k FROM t ORDER BY k OFFSET 2', 'OFFSET without LIMIT runs on PGlite'],
      ['SELECT k FROM t ORDER BY k LIMIT 1 + 1', 'a LIMIT that is not an integer constant runs on PGlite'],
    ];
    for (const [query, reason] of cases) assert.equal(pathOf(query), `pglite: ${reason}`, query);
  });

  it('runs a view over a PGlite view on PGlite, and says which view it reads', () => {
    const views = plan(
      [
        'CREATE VIEW pairs AS SELECT a.k FROM t a JOIN t b USING (k);',
        'CREATE VIEW pair_count AS SELECT count(*) FROM pairs;',
        'CREATE VIEW per_k AS SELECT k, count(*) AS c FROM t GROUP BY k;',
        'CREATE VIEW top AS SELECT * FROM per_k ORDER BY c DESC LIMIT 1;',
      ].join('\n'),
    );
    assert.deepEqual(
      views.map((v) => [v.name, v.path, v.reason, v.reads]),
      [
        ['pairs', 'pglite', 'joins run on PGlite', ['t']],
        ['pair_count', 'pglite', 'reads view "pairs", which runs on PGlite', ['pairs']],
        ['per_k', 'delta', undefined, ['t']],
        ['top', 'delta', undefined, ['per_k']],
      ],
    );
  });

  it('puts every view on PGlite when asked to', () => {
    const [view] = plan('CREATE VIEW c AS SELECT count(*) FROM t;', { forcePglite: true });
    assert.equal(view?.path, 'pglite');
    assert.match(view?.reason ?? '', /forced/);
  });

  it('gives columns the names and types PGlite gives them', async () => {
    const views = [
      `CREATE VIEW plain AS SELECT k, v, 1 + 1, lower(k), 1::int, n::bigint AS nb, CASE WHEN b THEN 1 END,
         coalesce(v, 0), nullif(k, ''), ts, extract(year FROM ts), date_trunc('hour', ts) FROM t;`,
      'CREATE VIEW casts AS SELECT v::text, d * 2 FROM t;',
      "CREATE VIEW cases AS SELECT CASE WHEN b THEN n ELSE v END, k || 'x' FROM t;",
      `CREATE VIEW grouped AS SELECT k, count(*), count(v) AS cv, sum(v), sum(n) AS sn, avg(n), min(d), max(k),
         count(*) * 2 AS twice FROM t GROUP BY k;`,
      'CREATE VIEW renamed (a, b) AS SELECT k, v FROM t;',
    ];
    const planned = plan(views.join('\n'));
    const db = await PGlite.create();
    try {
      await db.exec(`${TABLE}\n${views.join('\n')}`);
      for (const view of planned) {
        assert.equal(view.path, 'delta', view.name);
        const result = await db.query<{ name: string; type: string }>(
          `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
           WHERE attrelid = $1::regclass AND attnum > 0 ORDER BY attnum`,
          [view.name],
        );
        assert.deepEqual(view.columns, result.rows, view.name);
      }
    } finally {
      await db.close();
    }
  });

  it('resolves GROUP BY and ORDER BY by position, output name and expression', () => {
    const { plans } = compilePlans(
      parseViewsFile(
        `${TABLE}\nCREATE VIEW v AS SELECT lower(k) AS lk, count(*) AS c FROM t GROUP BY lk ORDER BY 2 DESC, lk LIMIT 5;`,
        'views.sql',
      ),
    );
    const stages = plans.get('v')?.stages ?? [];
    assert.deepEqual(
      stages.map((s) => s.op),
      ['map', 'reduce', 'top-k'],
    );
    const topk = stages[2];
    assert.ok(topk?.op === 'top-k');
    assert.deepEqual(
      topk.keys.map((k) => [k.column, k.descending, k.nullsFirst]),
      [
        [1, true, true],
        [0, false, false],
      ],
    );
  });

  it('refuses what Postgres refuses, naming the view and its line', () => {
    const refused = (views: string, message: RegExp): void => {
      assert.throws(
        () => plan(`\n${views}`),
        (error: unknown) =>
          error instanceof ViewDefinitionError &&
          error.line === 3 &&
          /^View "bad" \(views\.sql, line 3\) cannot be created: /.test(error.message) &&
          message.test(error.message),
        views,
      );
    };
    refused(
      'CREATE VIEW bad AS SELECT wikki, count(*) FROM t GROUP BY wikki;',
      /column "wikki" does not exist/,
    );
    refused(
      'CREATE VIEW bad AS SELECT k, count(*) FROM t;',
      /column "t\.k" must appear in the GROUP BY clause or be used in an aggregate function/,
    );
    refused('CREATE VIEW bad AS SELECT k FROM nowhere;', /relation "nowhere" does not exist/);
    refused(
      'CREATE VIEW bad AS SELECT k AS key FROM t GROUP BY k HAVING key > 1;',
      /column "key" does not exist/,
    );
    refused(
      'CREATE VIEW bad AS SELECT k FROM t WHERE count(*) > 1;',
      /aggregate functions are not allowed in WHERE/,
    );
    refused(
      'CREATE VIEW bad AS SELECT k FROM t ORDER BY 3 LIMIT 1;',
      /ORDER BY position 3 is not in select list/,
    );
    refused(
      'CREATE VIEW bad AS SELECT DISTINCT k FROM t ORDER BY v LIMIT 1;',
      /for SELECT DISTINCT, ORDER BY expressions must appear in select list/,
    );
    refused(
      'CREATE VIEW bad AS SELECT k FROM t WHERE v;',
      /argument of WHERE must be type boolean, not type bigint/,
    );
    refused('CREATE VIEW bad AS SELECT sum(count(*)) FROM t;', /aggregate function calls cannot be nested/);
    // A query may repeat an output name; a view may not.
    refused('CREATE VIEW bad AS SELECT k, v AS k FROM t;', /column "k" specified more than once/);
    refused('CREATE VIEW bad AS SELECT 1 + 1, 2 + 2 FROM t;', /column "\?column\?" specified more than once/);
  });
});
