/**
 * The SQL the Postgres-wire server understands: statements in, parsed form or SQLSTATE out.
 * Queries are read by the Postgres grammar (libpg-query); Materialize's statements by our parser.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { parseInterval } from '../src/pgwire/interval.js';
import { MessageFramer } from '../src/pgwire/message-framer.js';
import { PgError } from '../src/pgwire/pg-error.js';
import type { SubscribeStatement } from '../src/pgwire/sql-ast.js';
import { isLoopback } from '../src/pgwire/server.js';
import { loadSqlParser } from '../src/sql/parse-sql.js';
import { splitStatements } from '../src/pgwire/sql-lexer.js';
import { parseStatement as parse } from '../src/pgwire/sql-parser.js';

const VIEWS = ['top10', 'counter', 'Top10', 'user_edits'];
const parseStatement = (sql: string) => parse(sql, VIEWS);

function sqlstate(sql: string): string {
  try {
    parseStatement(sql);
  } catch (error) {
    assert.ok(error instanceof PgError, String(error));
    return error.sqlstate;
  }
  return 'ok';
}

describe('SUBSCRIBE, TAIL, cursors and COPY parse as Materialize spells them', { timeout: 30_000 }, () => {
  before(() => loadSqlParser());
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
      const { kind, view, progress, snapshot, asOf } = parseStatement(sql) as SubscribeStatement;
      assert.equal(kind, 'subscribe');
      assert.deepEqual({ view, progress, snapshot, asOf }, expected);
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
    assert.equal(sqlstate('SUBSCRIBE top10 ENVELOPE DEBEZIUM (KEY (user))'), '0A000');
    assert.equal(sqlstate('SUBSCRIBE top10 WITHIN TIMESTAMP ORDER BY count'), '0A000');
    assert.equal(sqlstate('SELECT * FROM recentchanges'), '42P01');
    assert.equal(sqlstate('SELECT * INTO t FROM top10'), '25006');
    assert.equal(sqlstate('WITH d AS (DELETE FROM top10 RETURNING *) SELECT * FROM d'), '25006');
    assert.equal(sqlstate('SELECT * FROM top10, pg_catalog.pg_class'), '0A000');
    assert.equal(sqlstate('CREATE INDEX IF NOT EXISTS i ON top10 (count)'), '25006');
    assert.equal(sqlstate('CREATE VIEW v AS SELECT 1'), '25006');
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

describe('queries and set-up statements', { timeout: 30_000 }, () => {
  before(() => loadSqlParser());

  it('reads queries with the Postgres grammar: the views they read, or the catalog', () => {
    const query = parseStatement(
      'SELECT t."user", c.count FROM top10 t JOIN counter c ON true WHERE t.count > $2',
    );
    assert.ok(query.kind === 'query');
    assert.deepEqual(query.query.views, ['top10', 'counter']);
    assert.equal(query.query.params, 2);
    const catalog = parseStatement("SELECT relname FROM pg_catalog.pg_class WHERE relkind = 'v'");
    assert.ok(catalog.kind === 'query' && catalog.query.catalog);
    const cte = parseStatement('WITH x AS (SELECT * FROM top10) SELECT count(*) FROM x');
    assert.ok(cte.kind === 'query' && cte.query.views.join() === 'top10');
  });

  it('SUBSCRIBE over a query, ENVELOPE UPSERT, AS OF and UP TO expressions', () => {
    const plain = parseStatement('SUBSCRIBE (SELECT * FROM top10)') as SubscribeStatement;
    assert.equal(plain.view, 'top10');
    assert.equal(plain.query, null);
    const filtered = parseStatement(
      'SUBSCRIBE (SELECT * FROM user_edits WHERE "user" LIKE \'A%\') ENVELOPE UPSERT (KEY ("user")) WITH (PROGRESS) AS OF mz_now() - 1000 UP TO now() + INTERVAL \'5 seconds\'',
    ) as SubscribeStatement;
    assert.deepEqual(filtered.query?.views, ['user_edits']);
    assert.deepEqual(filtered.upsertKey, ['user']);
    assert.equal(filtered.progress, true);
    assert.deepEqual(filtered.asOfExpression, { kind: 'now', clock: 'mz_now', offsetMs: -1000 });
    assert.deepEqual(filtered.upTo, { kind: 'now', clock: 'now', offsetMs: 5000 });
  });

  it('CREATE ... IF NOT EXISTS of set-up scripts', () => {
    assert.deepEqual(
      parseStatement('CREATE MATERIALIZED VIEW IF NOT EXISTS counter AS SELECT count(*) FROM r'),
      {
        kind: 'create-if-not-exists',
        object: 'materialized view',
        name: 'counter',
      },
    );
    assert.deepEqual(parseStatement('CREATE SOURCE IF NOT EXISTS wikirecent FROM WEBHOOK BODY FORMAT JSON'), {
      kind: 'create-if-not-exists',
      object: 'source',
      name: 'wikirecent',
    });
  });
});

describe('message framing', { timeout: 10_000 }, () => {
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
