/**
 * The SQL the Postgres-wire server understands: statements in, parsed form or SQLSTATE out; and
 * SELECT answered from a view's rows.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInterval } from '../src/pgwire/interval.js';
import { MessageFramer } from '../src/pgwire/message-framer.js';
import { PgError } from '../src/pgwire/pg-error.js';
import { isLoopback } from '../src/pgwire/server.js';
import { runSelect } from '../src/pgwire/select-eval.js';
import type { SelectStatement } from '../src/pgwire/sql-ast.js';
import { splitStatements } from '../src/pgwire/sql-lexer.js';
import { parseStatement } from '../src/pgwire/sql-parser.js';

function sqlstate(sql: string): string {
  try {
    parseStatement(sql);
  } catch (error) {
    assert.ok(error instanceof PgError, String(error));
    return error.sqlstate;
  }
  return 'ok';
}

describe('SUBSCRIBE, TAIL, cursors and COPY parse as Materialize spells them', () => {
  const cases: Array<[string, unknown]> = [
    ['SUBSCRIBE top10', { view: 'top10', progress: false, snapshot: true, asOf: null }],
    ['subscribe to top10 with (progress)', { view: 'top10', progress: true, snapshot: true, asOf: null }],
    ['TAIL top10 WITH (PROGRESS)', { view: 'top10', progress: true, snapshot: true, asOf: null }],
    [
      'SUBSCRIBE top10 WITH (PROGRESS = false, SNAPSHOT = false);',
      { view: 'top10', progress: false, snapshot: false, asOf: null },
    ],
    [
      'SUBSCRIBE (SELECT * FROM public.counter) AS OF 1777979860123',
      { view: 'counter', progress: false, snapshot: true, asOf: 1777979860123n },
    ],
    [
      'SUBSCRIBE "Top10" WITH (SNAPSHOT) AS OF AT LEAST 5',
      { view: 'Top10', progress: false, snapshot: true, asOf: 5n },
    ],
  ];
  for (const [sql, expected] of cases) {
    it(sql, () => {
      const {
        kind,
        viewPosition: _p,
        ...rest
      } = parseStatement(sql) as { kind: string; viewPosition: number };
      assert.equal(kind, 'subscribe');
      assert.deepEqual(rest, expected);
    });
  }

  it('DECLARE, FETCH with counts and timeouts, CLOSE, COPY', () => {
    const declare = parseStatement('DECLARE c CURSOR FOR SUBSCRIBE top10 WITH (PROGRESS)');
    assert.equal(declare.kind === 'declare' && declare.query.kind, 'subscribe');
    assert.deepEqual(parseStatement("FETCH ALL c WITH (timeout = '1s')"), {
      kind: 'fetch',
      cursor: 'c',
      count: 'all',
      timeoutMs: 1000,
    });
    assert.deepEqual(parseStatement('FETCH 100 FROM c WITH (TIMEOUT = 0)'), {
      kind: 'fetch',
      cursor: 'c',
      count: 100,
      timeoutMs: 0,
    });
    assert.deepEqual(parseStatement('FETCH c'), { kind: 'fetch', cursor: 'c', count: 1, timeoutMs: null });
    assert.deepEqual(parseStatement('FETCH FORWARD 5 IN c'), {
      kind: 'fetch',
      cursor: 'c',
      count: 5,
      timeoutMs: null,
    });
    assert.deepEqual(parseStatement('CLOSE c'), { kind: 'close', cursor: 'c' });
    const copy = parseStatement('COPY (SUBSCRIBE top10 WITH (PROGRESS)) TO STDOUT');
    assert.equal(copy.kind === 'copy' && copy.query.kind, 'subscribe');
    assert.equal(parseStatement('COPY top10 TO STDOUT WITH (FORMAT text)').kind, 'copy');
  });

  it('refuses writes with 25006, unsupported forms with 0A000, bad syntax with 42601', () => {
    assert.equal(sqlstate('INSERT INTO recentchanges VALUES (1)'), '25006');
    assert.equal(sqlstate('drop view top10'), '25006');
    assert.equal(sqlstate('COPY top10 FROM STDIN'), '25006');
    assert.equal(sqlstate('SUBSCRIBE top10 ENVELOPE UPSERT (KEY (user))'), '0A000');
    assert.equal(sqlstate('SUBSCRIBE (SELECT user FROM top10)'), '42601');
    assert.equal(sqlstate('SELECT * FROM top10 GROUP BY user'), '0A000');
    assert.equal(sqlstate('SELECT * FROM a, b'), '0A000');
    assert.equal(sqlstate('SUBSCRIBE'), '42601');
    assert.equal(sqlstate('SUBSCRIBE top10 WITH (PROGRESS = maybe)'), '22023');
    assert.equal(sqlstate("FETCH ALL c WITH (timeout = 'soon')"), '22023');
    assert.equal(sqlstate("SELECT 'unterminated"), '42601');
    assert.equal(sqlstate('BEGIN READ ONLY'), 'ok');
    assert.equal(sqlstate('SET statement_timeout = 0'), 'ok');
  });

  it('splits simple queries on semicolons outside strings and comments', () => {
    assert.deepEqual(splitStatements("BEGIN; SELECT 'a;b' -- x;\n; COMMIT;"), [
      'BEGIN',
      " SELECT 'a;b' -- x;\n",
      ' COMMIT',
    ]);
    assert.deepEqual(splitStatements(' ; -- nothing'), []);
  });

  it('trusts only loopback addresses without a password', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])
      assert.equal(isLoopback(address), true);
    for (const address of ['10.0.0.1', '::ffff:10.0.0.1', '0.0.0.0', undefined])
      assert.equal(isLoopback(address), false);
    assert.deepEqual(parseStatement('SHOW TRANSACTION ISOLATION LEVEL'), {
      kind: 'show',
      parameter: 'transaction_isolation',
    });
  });

  it('reads intervals', () => {
    assert.equal(parseInterval('1s'), 1000);
    assert.equal(parseInterval('500ms'), 500);
    assert.equal(parseInterval('1 minute 30 seconds'), 90_000);
    assert.equal(parseInterval('2'), 2000);
  });
});

describe('SELECT over a view', () => {
  const columns = [
    { name: 'user', type: 'text' },
    { name: 'count', type: 'bigint' },
  ];
  const rows = [
    ['a', 5],
    ['b', 3],
    [null, 3],
    ['c', 9],
  ];
  const lookup = () => ({ name: 'v', columns, rows: () => rows });
  const select = (sql: string, params: Array<string | null> = []) => {
    const statement = parseStatement(sql) as SelectStatement;
    return runSelect(statement, lookup, params);
  };

  it('answers *, column lists, WHERE with three-valued logic, ORDER BY and LIMIT', () => {
    assert.deepEqual(select('SELECT * FROM v').rows, rows);
    assert.deepEqual(select('SELECT count(*) FROM v').rows, [[4]]);
    assert.deepEqual(select('SELECT count("user"), sum(count), min(count), max("user") FROM v').rows, [
      [3, '20', 3, 'c'],
    ]);
    assert.deepEqual(select('SELECT "user" FROM v WHERE count = 3 ORDER BY 1').rows, [['b'], [null]]);
    assert.deepEqual(select('SELECT "user" FROM v WHERE "user" <> \'a\' ORDER BY "user" DESC').rows, [
      ['c'],
      ['b'],
    ]);
    assert.deepEqual(select('SELECT "user" AS u FROM v WHERE "user" IS NULL OR count > 6').rows, [
      [null],
      ['c'],
    ]);
    assert.deepEqual(select('SELECT count FROM v WHERE NOT (count IN (3, 9)) LIMIT 5').rows, [[5]]);
    assert.deepEqual(select('SELECT "user" FROM v ORDER BY count DESC, "user" LIMIT 2 OFFSET 1').rows, [
      ['a'],
      ['b'],
    ]);
    assert.deepEqual(select('SELECT * FROM v WHERE count >= $1 AND "user" = $2', ['5', 'c']).rows, [
      ['c', 9],
    ]);
    assert.deepEqual(
      select('SELECT "user", count FROM v').fields.map((f) => [f.name, f.oid]),
      [
        ['user', 25],
        ['count', 20],
      ],
    );
  });

  it('names the problem: unknown column 42703, mixed aggregate 42803, bad number 22P02', () => {
    assert.throws(
      () => select('SELECT nope FROM v'),
      (e: PgError) => e.sqlstate === '42703',
    );
    assert.throws(
      () => select('SELECT "user", count(*) FROM v'),
      (e: PgError) => e.sqlstate === '42803',
    );
    assert.throws(
      () => select("SELECT * FROM v WHERE count = 'many'"),
      (e: PgError) => e.sqlstate === '22P02',
    );
  });
});

describe('message framing', () => {
  it('cuts pipelined messages that share a packet, and waits for split ones', () => {
    const framer = new MessageFramer();
    const startup = Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]); // SSLRequest
    assert.deepEqual(framer.push(startup), [startup]);
    framer.started = true;
    const sync = Buffer.from([83, 0, 0, 0, 4]);
    const query = Buffer.concat([Buffer.from([81, 0, 0, 0, 7]), Buffer.from('hi\0')]);
    const both = Buffer.concat([query, sync, sync.subarray(0, 2)]);
    assert.deepEqual(framer.push(both), [query, sync]);
    assert.deepEqual(framer.push(sync.subarray(2)), [sync]);
  });
});
