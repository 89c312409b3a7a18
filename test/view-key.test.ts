/**
 * The unique key each delta-path view reports (the keyed wire form relies on it): derived from the
 * query's shape, and proved against Postgres: after random transactions, no two rows of the view as
 * PGlite evaluates it share the reported key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { compilePlans } from '../src/sql/planner/plan-views.js';
import { loadSqlParser, parseViewsFile } from '../src/sql/views-file.js';
import { fuzz } from './support/fuzz.js';
import { buildGraph } from './support/oracle/delta-side.js';
import { PgliteOracle } from './support/oracle/pglite-oracle.js';
import { resolve, transactions, transactionSql } from './support/oracle/transactions.js';
import { createTableSql, scenario, viewsFileSql } from './support/oracle/views.js';

const TABLE = 'CREATE TABLE t (k text, v bigint, n integer, b boolean);';

function keyOf(query: string, before = ''): string[] | null | 'pglite' {
  const file = parseViewsFile(`${TABLE}\n${before}\nCREATE VIEW x AS ${query};`, 'views.sql');
  const planned = compilePlans(file);
  const view = planned.views.find((v) => v.name === 'x');
  if (view?.path !== 'delta') return 'pglite';
  return view.key ?? null;
}

describe('view keys', { timeout: 600_000 }, () => {
  before(async () => {
    await loadSqlParser();
  });

  it('derives the key from GROUP BY, global aggregates, DISTINCT, top-k and views over views', () => {
    const cases: Array<[string, string[] | null | 'pglite', string?]> = [
      ['SELECT k, count(*) AS c FROM t GROUP BY k', ['k']],
      ['SELECT count(*) AS c, k FROM t GROUP BY k', ['k']],
      ['SELECT k AS name, count(*) AS c FROM t GROUP BY 1', ['name']],
      ['SELECT k, b, sum(v) AS s FROM t GROUP BY k, b HAVING sum(v) > 1', ['k', 'b']],
      ['SELECT count(*) AS c FROM t GROUP BY k', null],
      ['SELECT lower(k) AS l, count(*) AS c FROM t GROUP BY k', null],
      ['SELECT lower(k) AS l, count(*) AS c FROM t GROUP BY lower(k)', ['l']],
      ['SELECT count(*) AS c, sum(v) AS s FROM t', []],
      ['SELECT count(*) AS c FROM t WHERE b', []],
      ['SELECT DISTINCT k, b FROM t', ['k', 'b']],
      ['SELECT DISTINCT k, count(*) AS c FROM t GROUP BY k', ['k']],
      ['SELECT k, count(*) AS c FROM t GROUP BY k ORDER BY c DESC LIMIT 10', ['k']],
      ['SELECT k FROM t GROUP BY k ORDER BY count(*) DESC LIMIT 3', ['k']],
      ['SELECT DISTINCT k FROM t ORDER BY k LIMIT 3', ['k']],
      ['SELECT * FROM t', null],
      ['SELECT k, v FROM t ORDER BY v DESC LIMIT 10', null],
      [
        'SELECT k, c FROM g WHERE c > 2',
        ['k'],
        'CREATE VIEW g AS SELECT k, count(*) AS c FROM t GROUP BY k;',
      ],
      ['SELECT c FROM g', null, 'CREATE VIEW g AS SELECT k, count(*) AS c FROM t GROUP BY k;'],
      [
        'SELECT k AS who, c FROM g ORDER BY c DESC LIMIT 2',
        ['who'],
        'CREATE VIEW g AS SELECT k, count(*) AS c FROM t GROUP BY k;',
      ],
      ['SELECT c * 2 AS d FROM g', [], 'CREATE VIEW g AS SELECT count(*) AS c FROM t;'],
      ['SELECT a.k, count(*) AS c FROM t a JOIN t b ON a.k = b.k GROUP BY a.k', 'pglite'],
    ];
    for (const [query, expected, before] of cases) assert.deepEqual(keyOf(query, before), expected, query);
  });

  it('names the key in the view columns a views file renames', () => {
    assert.deepEqual(
      keyOf(
        'SELECT k, count(*) FROM t GROUP BY k',
        'CREATE VIEW y (who, n) AS SELECT k, count(*) FROM t GROUP BY k;',
      ),
      ['k'],
    );
    const file = parseViewsFile(
      `${TABLE}\nCREATE VIEW y (who, n) AS SELECT k, count(*) FROM t GROUP BY k;`,
      'v.sql',
    );
    assert.deepEqual(compilePlans(file).views[0]?.key, ['who']);
  });

  describe('against Postgres', () => {
    let oracle: PgliteOracle;
    before(async () => {
      oracle = await PgliteOracle.start();
    });
    after(async () => {
      await oracle?.close();
    });

    it('no two rows of a view share its reported key, after every transaction', async () => {
      let keyed = 0;
      const cases = scenario.chain((s) =>
        transactions(s.columns).map((steps) => ({ s, transactions: resolve(steps) })),
      );
      const property = fc.asyncProperty(cases, async ({ s, transactions }) => {
        const graph = await buildGraph(viewsFileSql(s));
        const keys = new Map(graph.views.flatMap((v) => (v.key ? [[v.name, v.key] as const] : [])));
        keyed += keys.size;
        await oracle.load(
          createTableSql(s.columns),
          s.views.map((v) => ({ name: v.name, sql: v.oracleSql })),
        );
        for (let i = 0; i <= transactions.length; i++) {
          if (i > 0) await oracle.run(transactionSql(s.columns, transactions[i - 1] ?? []));
          for (const [view, key] of keys) {
            const duplicate = await duplicateKey(oracle, view, key);
            if (duplicate)
              throw new Error(
                `view ${view} reports key (${key.join(', ')}) but after transaction ${i} ${duplicate}\n${viewsFileSql(s)}`,
              );
          }
        }
      });
      const details = await fc.check(property, fuzz(150));
      if (details.failed)
        assert.fail(
          `${(details.errorInstance as Error | undefined)?.message ?? String(details.errorInstance)}\n` +
            `(replay with FUZZ_SEED=${details.seed}, path ${details.counterexamplePath})`,
        );
      // The generated views must have exercised keys at all.
      assert.ok(keyed > 50, `only ${keyed} generated views had a key`);
    });
  });
});

/** The first two rows of `view` that share `key`, as Postgres evaluates it, or null (also when it fails). */
async function duplicateKey(oracle: PgliteOracle, view: string, key: string[]): Promise<string | null> {
  const evaluation = await oracle.evaluate(`SELECT ${key.map((c) => `"${c}"`).join(', ')} FROM ${view}`);
  // A view in error has no rows to compare (errors are data; the wire sends the error instead).
  if ('error' in evaluation) return null;
  const seen = new Set<string>();
  for (const row of evaluation.rows) {
    const text = JSON.stringify(row, (_, value: unknown) =>
      typeof value === 'bigint' ? String(value) : value,
    );
    if (seen.has(text)) return `two rows have the key ${text}`;
    seen.add(text);
  }
  return null;
}
