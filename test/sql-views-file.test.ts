/**
 * The views file as the Postgres grammar reads it: tables with the type names Postgres prints,
 * views with their query as written, the line of their first token and a fingerprint that ignores
 * comments; errors that name the file, the line and the view, with what to fix.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ViewcastError, ViewDefinitionError } from '../src/core/errors.js';
import { loadSqlParser, parseViewsFile } from '../src/sql/views-file.js';

const FILE = 'views.sql';

function refused(sql: string, code: string, message: RegExp): void {
  assert.throws(
    () => parseViewsFile(sql, FILE),
    (error: unknown) => {
      assert.ok(error instanceof ViewcastError, String(error));
      assert.equal(error.code, code);
      assert.match(error.message, message);
      return true;
    },
  );
}

describe('views file through the Postgres grammar', { timeout: 30_000 }, () => {
  before(loadSqlParser);

  it('reads tables with the type names Postgres prints, the first one being the input', () => {
    const parsed = parseViewsFile(
      [
        '-- input',
        'CREATE TABLE events (a int8, b int4, c bool, d varchar(10), e float8, f timestamptz,',
        '  g numeric(10,2), h timestamp, i text, "User" smallint, j real, k jsonb, l int[], m character varying);',
        'CREATE TABLE users (name text);',
        'CREATE VIEW v AS SELECT a FROM events;',
      ].join('\n'),
      FILE,
    );
    assert.deepEqual(parsed.inputTable, {
      name: 'events',
      line: 2,
      sql: parsed.tables[0]?.sql,
    });
    assert.match(parsed.inputTable.sql, /^CREATE TABLE events \(a int8,[\s\S]*character varying\)$/);
    assert.deepEqual(
      parsed.tables[0]?.columns.map((c) => `${c.name} ${c.type}`),
      [
        'a bigint',
        'b integer',
        'c boolean',
        'd character varying(10)',
        'e double precision',
        'f timestamp with time zone',
        'g numeric(10,2)',
        'h timestamp without time zone',
        'i text',
        'User smallint',
        'j real',
        'k jsonb',
        'l integer[]',
        'm character varying',
      ],
    );
    assert.deepEqual(
      parsed.tables.map((t) => [t.name, t.line]),
      [
        ['events', 2],
        ['users', 4],
      ],
    );
  });

  it('gives each view its query as written, the line of its first token and its parsed query', () => {
    const parsed = parseViewsFile(
      [
        'CREATE TABLE t (x int, "user" text);',
        '/* a block comment',
        '   over lines: é */',
        '-- a line comment; with a semicolon',
        'CREATE MATERIALIZED VIEW "Top" AS',
        '  SELECT "user", count(*) FROM t GROUP BY "user" -- trailing',
        '  ORDER BY 2 DESC LIMIT 3 -- cut',
        ';',
        'create or replace view plain (a) as select x from t',
      ].join('\n'),
      FILE,
    );
    assert.deepEqual(
      parsed.views.map((v) => [v.name, v.line, v.query]),
      [
        ['Top', 5, 'SELECT "user", count(*) FROM t GROUP BY "user" -- trailing\n  ORDER BY 2 DESC LIMIT 3'],
        ['plain', 9, 'select x from t'],
      ],
    );
    assert.deepEqual(parsed.views[1]?.columnNames, ['a']);
    assert.equal(parsed.views[0]?.ast.limitCount !== undefined, true);
    assert.equal(parsed.views[0]?.ast.fromClause?.length, 1);
  });

  it('fingerprints a view the same when only comments and whitespace differ', () => {
    const a = parseViewsFile('CREATE TABLE t (x int);\nCREATE VIEW v AS SELECT x FROM t;', FILE);
    const b = parseViewsFile(
      'CREATE TABLE t (x int);\n-- why\nCREATE  VIEW v AS\n  SELECT x /* c */ FROM t;',
      FILE,
    );
    const c = parseViewsFile('CREATE TABLE t (x int);\nCREATE VIEW v AS SELECT x + 1 FROM t;', FILE);
    assert.equal(a.views[0]?.fingerprint, b.views[0]?.fingerprint);
    assert.notEqual(a.views[0]?.fingerprint, c.views[0]?.fingerprint);
  });

  it('names the view, the line and the token of a syntax error', () => {
    const sql =
      'CREATE TABLE t (x int);\n-- é\nCREATE VIEW ok AS SELECT 1;\nCREATE VIEW broken AS\n  SELEC x FROM t;';
    assert.throws(
      () => parseViewsFile(sql, FILE),
      (error: unknown) =>
        error instanceof ViewDefinitionError &&
        error.view === 'broken' &&
        error.line === 5 &&
        /View "broken" \(views\.sql, line 5\) cannot be created: syntax error at or near "SELEC"/.test(
          error.message,
        ),
    );
  });

  it('refuses a syntax error outside any view with the file and the line', () => {
    refused(
      'CREATE TABLE t (x int);\n\nCREAT VIEW v AS SELECT 1;',
      'VIEWCAST_BAD_VIEWS_FILE',
      /^views\.sql, line 3: syntax error at or near "CREAT"/,
    );
    refused(
      "CREATE TABLE t (x text);\nCREATE VIEW v AS SELECT 'open",
      'VIEWCAST_BAD_VIEW',
      /View "v" \(views\.sql, line 2\).*unterminated quoted string/,
    );
  });

  it('refuses what is not a table or a view, duplicates, and files without a table or views', () => {
    refused(
      'CREATE TABLE t (x int);\n\nDROP TABLE t;',
      'VIEWCAST_BAD_VIEWS_FILE',
      /^views\.sql, line 3: "DROP TABLE t \.\.\." is not a view/,
    );
    refused(
      'CREATE TABLE t (x int);\nCREATE TABLE u AS SELECT 1;',
      'VIEWCAST_BAD_VIEWS_FILE',
      /line 2: "CREATE TABLE u \.\.\." is not a view/,
    );
    refused(
      'CREATE TABLE t (x int);\nCREATE VIEW v AS SELECT 1;\n\nCREATE VIEW V AS SELECT 2;',
      'VIEWCAST_BAD_VIEWS_FILE',
      /^views\.sql, line 4: view "v" is defined twice\.$/,
    );
    refused(
      'CREATE TABLE t (x int);\nCREATE VIEW t AS SELECT 1;',
      'VIEWCAST_BAD_VIEWS_FILE',
      /line 2: "t" names both a table and a view/,
    );
    refused('-- nothing here\n', 'VIEWCAST_BAD_VIEWS_FILE', /^views\.sql: no CREATE TABLE for the input\./);
    refused('CREATE TABLE t (x int);', 'VIEWCAST_BAD_VIEWS_FILE', /^views\.sql: no views\./);
    refused(
      'CREATE TABLE t (x int);\nCREATE VIEW v AS SELECT 1;\0 DROP TABLE t;',
      'VIEWCAST_BAD_VIEWS_FILE',
      /line 2: a NUL character/,
    );
  });
});
