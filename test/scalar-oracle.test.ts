/**
 * The scalar library proved against Postgres: random typed expressions over a random row (NULLs,
 * integer limits, 2^53 ± 1, long numerics, NaN and infinities, astral characters, empty strings,
 * far years) evaluated by compileExpr and by PGlite must give the same wire value and type, or the
 * same SQLSTATE. The row sits in a real table: Postgres folds constants while planning (a VALUES
 * row would be folded too), which would raise errors in branches that never run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { PGlite } from '@electric-sql/pglite';
import { loadModule, parseSync } from 'libpg-query';
import { fuzz } from './support/fuzz.js';
import { COLUMNS, expr, rowArb } from './support/scalar-expressions.js';
import {
  compileExpr,
  parseInput,
  PGLITE_PARSERS,
  SqlCompileError,
  SqlEvalError,
  toWire,
  Unsupported,
  type SqlType,
} from '../src/sql/scalar/index.js';
import { typeOid } from '../src/core/pg-types.js';

type Outcome = { value: unknown; oid: number } | { error: string; message: string } | { unsupported: string };

const SCOPE = { columns: COLUMNS.map((c) => ({ name: c.name, type: c.type })) };
const INSERT = `INSERT INTO t VALUES (${COLUMNS.map((c, i) => `$${i + 1}::text::${c.type}`).join(', ')})`;

function ours(sql: string, row: Array<string | null>): Outcome {
  try {
    const stmt = parseSync(`SELECT ${sql}`) as {
      stmts: Array<{ stmt: { SelectStmt: { targetList: Array<{ ResTarget: { val: unknown } }> } } }>;
    };
    const node = stmt.stmts[0]?.stmt.SelectStmt.targetList[0]?.ResTarget.val;
    const compiled = compileExpr(node, SCOPE);
    const values = COLUMNS.map((c, i) => (row[i] === null ? null : parseInput(c.type, row[i] as string)));
    const value = toWire(compiled.type, compiled.eval(values, { timestamp: 0 }));
    return { value, oid: typeOid(compiled.type) };
  } catch (error) {
    if (error instanceof Unsupported) return { unsupported: error.reason };
    if (error instanceof SqlEvalError || error instanceof SqlCompileError)
      return { error: error.sqlstate, message: error.message };
    throw error;
  }
}

/** A psql script that shows the case to anyone: the table, the row and the expression. */
function repro(sql: string, row: Array<string | null>): string {
  const values = row.map((v) => (v === null ? 'NULL' : `'${v.replace(/'/g, "''")}'`));
  return [
    `CREATE TEMP TABLE t (${COLUMNS.map((c) => `${c.name} ${c.type}`).join(', ')});`,
    `INSERT INTO t VALUES (${values.map((v, i) => `${v}::${(COLUMNS[i] as { type: SqlType }).type}`).join(', ')});`,
    `SELECT ${sql} FROM t;`,
  ].join('\n');
}

describe('scalar expressions against Postgres', { timeout: 240_000 }, () => {
  let db: PGlite;
  before(async () => {
    await loadModule();
    db = await PGlite.create({ parsers: PGLITE_PARSERS });
    await db.exec(`CREATE TABLE t (${COLUMNS.map((c) => `${c.name} ${c.type}`).join(', ')})`);
  });
  after(async () => {
    await db?.close();
  });

  async function theirs(sql: string, row: Array<string | null>): Promise<Outcome> {
    await db.exec('DELETE FROM t');
    await db.query(INSERT, row);
    try {
      const result = await db.query<unknown[]>(`SELECT ${sql} FROM t`, [], { rowMode: 'array' });
      return { value: result.rows[0]?.[0], oid: result.fields[0]?.dataTypeID ?? 0 };
    } catch (error) {
      const e = error as { code?: string; message?: string };
      return { error: e.code ?? '?', message: e.message ?? '' };
    }
  }

  function agree(a: Outcome, b: Outcome): boolean {
    if ('unsupported' in a || 'unsupported' in b) return true;
    if ('error' in a || 'error' in b) return 'error' in a && 'error' in b && a.error === b.error;
    return a.oid === b.oid && Object.is(a.value, b.value);
  }

  let checked = 0;
  let unsupported = 0;
  let errors = 0;

  /** Undefined when both agree, else the reproduction and both outcomes. */
  async function disagreement(sql: string, row: Array<string | null>): Promise<string | undefined> {
    const mine = ours(sql, row);
    let pg: Outcome;
    try {
      pg = await theirs(sql, row);
    } catch (error) {
      return `Postgres refused the row: ${(error as Error).message}\n${repro(sql, row)}`;
    }
    if ('unsupported' in mine) unsupported++;
    else if ('error' in pg) errors++;
    checked++;
    if (agree(mine, pg)) return undefined;
    return `${repro(sql, row)}\n  ours:     ${JSON.stringify(mine)}\n  Postgres: ${JSON.stringify(pg)}`;
  }

  for (const sort of ['number', 'bool', 'text', 'ts', 'iv'] as const) {
    it(`${sort} expressions evaluate as in Postgres`, async () => {
      const property = fc.asyncProperty(
        expr[sort],
        rowArb,
        async (sql, row) => (await disagreement(sql, row)) === undefined,
      );
      const result = await fc.check(property, fuzz(200));
      if (result.failed && result.counterexample) {
        const [sql, row] = result.counterexample as [string, Array<string | null>];
        assert.fail(
          `delta path and Postgres disagree (seed ${result.seed}, shrunk ${result.numShrinks} times)\n${await disagreement(sql, row)}`,
        );
      }
    });
  }

  it('the runs mostly compared values, not errors or fallbacks', () => {
    console.log(
      `# ${checked} expressions checked: ${errors} raised errors in Postgres, ${unsupported} unsupported`,
    );
    assert.ok(unsupported < checked / 4, `${unsupported} of ${checked} expressions were unsupported`);
  });
});
