/**
 * The documented cases of the scalar library, one by one: result types and values Postgres gives,
 * its errors (SQLSTATE and message), the wire form of each type, what falls back to PGlite and why.
 * The property tests (scalar-oracle, scalar-aggregates) check the same against PGlite at random.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadModule, parseSync } from 'libpg-query';
import {
  aggregate,
  compareValues,
  compileExpr,
  fromInput,
  PGLITE_PARSERS,
  SqlCompileError,
  SqlEvalError,
  toWire,
  Unsupported,
  valueKey,
  type Scope,
  type Value,
} from '../src/sql/scalar/index.js';

const SCOPE: Scope = {
  columns: [
    { name: 'a', type: 'integer', relation: 't' },
    { name: 'b', type: 'bigint' },
    { name: 'n', type: 'numeric' },
    { name: 's', type: 'text' },
    { name: 'ts', type: 'timestamp with time zone' },
  ],
};

function node(sql: string): unknown {
  const parsed = parseSync(`SELECT ${sql}`) as {
    stmts: Array<{ stmt: { SelectStmt: { targetList: Array<{ ResTarget: { val: unknown } }> } } }>;
  };
  return parsed.stmts[0]?.stmt.SelectStmt.targetList[0]?.ResTarget.val;
}

/** Evaluates `sql` over one row (a, b, n, s, ts) and returns [type, wire value]. */
function run(sql: string, row: Value[] = [null, null, null, null, null]): [string, unknown] {
  const c = compileExpr(node(sql), SCOPE);
  return [c.type, toWire(c.type, c.eval(row, { timestamp: 0 }))];
}

function sqlstate(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof SqlEvalError || error instanceof SqlCompileError)
      return `${error.sqlstate} ${error.message}`;
    if (error instanceof Unsupported) return `unsupported: ${error.reason}`;
    throw error;
  }
  return 'no error';
}

describe('scalar semantics, documented cases', { timeout: 30_000 }, () => {
  before(async () => {
    await loadModule();
  });

  it('types arithmetic as Postgres does, with its overflow and division errors', () => {
    assert.deepEqual(run('a + 1', [2147483646]), ['integer', 2147483647]);
    assert.equal(
      sqlstate(() => run('a + 1', [2147483647])),
      '22003 integer out of range',
    );
    assert.deepEqual(run('a / 2', [-7]), ['integer', -3]);
    assert.deepEqual(run('a % 2', [-7]), ['integer', -1]);
    assert.equal(
      sqlstate(() => run('a / 0', [1])),
      '22012 division by zero',
    );
    assert.deepEqual(run('a + 1.5', [1]), ['numeric', '2.5']);
    assert.deepEqual(run('a + 1.5::float8', [1]), ['double precision', 2.5]);
    assert.deepEqual(run('n / 3', [null, null, '1.50']), ['numeric', '0.50000000000000000000']);
    assert.deepEqual(run('b + 1', [null, 9007199254740992]), ['bigint', '9007199254740993']);
    assert.equal(
      sqlstate(() => run('b * 2', [null, 2n ** 62n])),
      '22003 bigint out of range',
    );
  });

  it('reads untyped literals in context and raises Postgres errors for bad ones', () => {
    assert.equal(
      sqlstate(() => run(`'abc'::int`)),
      '22P02 invalid input syntax for type integer: "abc"',
    );
    assert.deepEqual(run(`a = '5'`, [5]), ['boolean', true]);
    assert.deepEqual(run(`'x'`), ['text', 'x']);
    assert.equal(
      sqlstate(() => run(`a = s`)),
      '42883 operator does not exist: integer = text',
    );
    assert.equal(
      sqlstate(() => run(`zz`)),
      '42703 column "zz" does not exist',
    );
    assert.deepEqual(run('t.a', [3]), ['integer', 3]);
  });

  it('keeps three-valued logic', () => {
    assert.deepEqual(run('a > 1 AND NULL'), ['boolean', null]);
    assert.deepEqual(run('false AND a / 0 = 1', [1]), ['boolean', false]);
    assert.deepEqual(run('a IN (1, NULL)', [2]), ['boolean', null]);
    assert.deepEqual(run('a NOT IN (1, NULL)', [1]), ['boolean', false]);
    assert.deepEqual(run('a IS DISTINCT FROM NULL', [1]), ['boolean', true]);
    assert.deepEqual(run('(a > 1) IS UNKNOWN'), ['boolean', true]);
  });

  it('orders text by code point (collation C), not by UTF-16 unit', () => {
    assert.ok(compareValues('text', '\uffff', '😀') < 0);
    assert.ok('\uffff' > '😀', 'JavaScript alone would order them the other way');
    assert.deepEqual(run(`length(s)`, [null, null, null, 'a😀']), ['integer', 2]);
  });

  it('gives equal values one key: numeric 1.0 and 1.00, floats 0 and -0', () => {
    assert.equal(valueKey('numeric', '1.0'), valueKey('numeric', '1.00'));
    assert.notEqual(valueKey('numeric', '1.0'), valueKey('numeric', '1.01'));
    assert.equal(valueKey('double precision', -0), valueKey('double precision', 0));
    assert.equal(valueKey('interval', [0, 1, 0]), valueKey('interval', [0, 0, 86_400_000_000]));
  });

  it('takes input rows as JSON gives them and puts out the wire form', () => {
    assert.equal(fromInput('bigint', '9223372036854775807'), 9223372036854775807n);
    assert.equal(toWire('bigint', fromInput('bigint', 9007199254740993n)), '9007199254740993');
    assert.equal(toWire('bigint', fromInput('bigint', 42)), 42);
    assert.equal(toWire('numeric', fromInput('numeric', 1.5)), '1.5');
    assert.equal(
      toWire('timestamp with time zone', fromInput('timestamp with time zone', '2026-05-05T10:00:00.123Z')),
      '2026-05-05 10:00:00.123+00',
    );
    assert.equal(
      toWire(
        'timestamp without time zone',
        fromInput('timestamp without time zone', '2026-05-05 10:00:00.123'),
      ),
      '2026-05-05 10:00:00.123',
    );
    assert.equal(toWire('date', fromInput('date', '2026-05-05')), '2026-05-05');
    assert.equal(toWire('interval', fromInput('interval', '5 minutes')), '00:05:00');
    assert.equal(toWire('interval', fromInput('interval', '1 day 2 hours')), '1 day 02:00:00');
    assert.equal(toWire('double precision', NaN), 'NaN');
    assert.equal(toWire('real', Math.fround(0.1)), 0.1);
    assert.equal(
      toWire('jsonb', fromInput('jsonb', { b: 1, a: [true, null] })),
      '{"a": [true, null], "b": 1}',
    );
    assert.equal(
      sqlstate(() => fromInput('integer', 'x')),
      '22P02 invalid input syntax for type integer: "x"',
    );
  });

  it('PGLITE_PARSERS turn Postgres text into the same wire form', () => {
    const parse = (oid: number, text: string): unknown =>
      (PGLITE_PARSERS[oid] as (v: string) => unknown)(text);
    assert.equal(parse(20, '9007199254740993'), '9007199254740993');
    assert.equal(parse(20, '12'), 12);
    assert.equal(parse(1700, '1.50'), '1.50');
    assert.equal(parse(701, 'Infinity'), 'Infinity');
    assert.equal(parse(16, 't'), true);
    assert.equal(parse(1184, '2026-05-05 10:00:00+00'), '2026-05-05 10:00:00+00');
  });

  it('aggregates with Postgres result types, exact under retraction', () => {
    const avg = aggregate('avg', 'integer');
    let acc = avg.zero();
    acc = avg.step(acc, 1, 1);
    acc = avg.step(acc, 2, 1);
    assert.equal(avg.finish(acc, 2), '1.5000000000000000');
    assert.equal(aggregate('count', 'unknown', { star: true }).resultType, 'bigint');
    assert.equal(aggregate('sum', 'integer').resultType, 'bigint');
    assert.equal(aggregate('sum', 'bigint').resultType, 'numeric');
    const sum = aggregate('sum', 'numeric');
    let s = sum.step(sum.step(sum.zero(), '1.50', 1), '2', 1);
    assert.equal(sum.finish(s, 2), '3.50');
    s = sum.step(s, '1.50', -1);
    assert.equal(sum.finish(s, 1), '2', 'the scale follows the rows that remain');
    assert.equal(sum.finish(sum.step(s, '2', -1), 0), null);
    assert.equal(aggregate('max', 'text').kind, 'hierarchical');
  });

  it('leaves to PGlite what the delta path cannot keep exact or deterministic', () => {
    assert.match(
      sqlstate(() => aggregate('sum', 'double precision')),
      /unsupported: .*floating-point sum drifts/,
    );
    assert.match(
      sqlstate(() => run('now()')),
      /unsupported: now\(\)/,
    );
    assert.match(
      sqlstate(() => run('current_timestamp')),
      /unsupported: current_timestamp/,
    );
    assert.match(
      sqlstate(() => run('mz_now()')),
      /unsupported: mz_now\(\)/,
    );
    assert.match(
      sqlstate(() => run('a = ANY(b)')),
      /unsupported/,
    );
  });

  it('lets the planner substitute its own columns for aggregate calls', () => {
    const c = compileExpr(node('count(*) > 1'), SCOPE, {
      substitute: (n) => ((n as { FuncCall?: unknown }).FuncCall ? 1 : undefined),
    });
    assert.equal(c.eval([null, 2], { timestamp: 0 }), true);
  });
});
