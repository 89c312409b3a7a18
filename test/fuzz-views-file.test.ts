/**
 * Property tests of the views-file reader: any text either parses or fails with one of the documented
 * errors (`VIEWCAST_BAD_VIEWS_FILE`, or `VIEWCAST_BAD_VIEW` inside a view, naming the file); statements
 * split where Postgres splits them, whatever strings, quoted names, dollar quotes and comments hold;
 * names fold as Postgres does.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { loadSqlParser, normalizeIdentifier, parseViewsFile } from '../src/sql/views-file.js';
import { ViewcastError } from '../src/core/errors.js';
import { fuzz, textWith } from './support/fuzz.js';

const FILE = 'fuzzed.sql';
const SQL_TOKENS = [
  'CREATE ',
  'TABLE ',
  'MATERIALIZED ',
  'VIEW ',
  ' AS ',
  'SELECT 1',
  ' recentchanges (id bigint)',
  ';',
  "'",
  "''",
  '"',
  '$$',
  '$q$',
  '--',
  '/*',
  '*/',
  '\n',
  ' ',
];

/** Characters that matter to a SQL splitter, to fill strings and comments with. */
const tricky = fc.string({
  maxLength: 8,
  unit: fc.constantFrom('a', ';', '\n', '-', "'", '"', '$', '*', '/', ' '),
});

/** Pieces of SQL that may hold a semicolon without ending the statement. */
const literal = fc.oneof(
  tricky.map((s) => `'${s.replace(/'/g, "''")}'`),
  tricky.map((s) => `"x${s.replace(/"/g, '""')}"`),
  // The first closing tag ends the string, as in Postgres; block comments nest there, not here.
  tricky.filter((s) => `${s}$q$`.indexOf('$q$') === s.length).map((s) => `$q$${s}$q$`),
  tricky
    .filter((s) => `${s} */`.indexOf('*/') === s.length + 1 && !s.includes('/*'))
    .map((s) => `/* ${s} */ 1`),
  fc.constantFrom('1', 'x', 'count(*)', '";"', "';'", '$$;$$', '/*;*/ 1'),
);

/** One view's query: a select list of literals, never a bare semicolon, never starting with `--`. */
const statementText = fc
  .array(literal, { minLength: 1, maxLength: 5 })
  .map((parts) => `SELECT ${parts.join(', ')}`);

const viewName = fc.oneof(
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_$]{0,10}$/),
  fc.string({ minLength: 1, maxLength: 8 }).map((s) => `"${s.replace(/"/g, '""')}"`),
);

function expectBadFile(sql: string): void {
  try {
    parseViewsFile(sql, FILE);
  } catch (error) {
    assert.ok(error instanceof ViewcastError, `not a ViewcastError: ${String(error)}`);
    assert.ok(['VIEWCAST_BAD_VIEWS_FILE', 'VIEWCAST_BAD_VIEW'].includes(error.code), error.message);
    assert.ok(error.message.includes(FILE), error.message);
  }
}

describe('views file reader under arbitrary input', { timeout: 120_000 }, () => {
  before(loadSqlParser);

  it('parses or refuses with VIEWCAST_BAD_VIEWS_FILE naming the file, never anything else', () => {
    fc.assert(fc.property(textWith(SQL_TOKENS, 40), expectBadFile), fuzz(600));
    fc.assert(fc.property(fc.string({ maxLength: 300, unit: 'binary' }), expectBadFile), fuzz(300));
  });

  it('splits on semicolons only outside strings, quoted names, dollar quotes and comments', () => {
    fc.assert(
      fc.property(
        fc.array(statementText, { minLength: 1, maxLength: 6 }),
        fc.array(fc.constantFrom('', '\n', '\n\n', '  ', '\n-- a comment; with a semicolon\n'), {
          minLength: 1,
          maxLength: 4,
        }),
        (statements, gaps) => {
          let sql = 'CREATE TABLE t (x int);';
          const lines: number[] = [];
          statements.forEach((text, i) => {
            const gap = gaps[i % gaps.length] as string;
            sql += gap;
            lines.push(sql.split('\n').length);
            sql += `CREATE VIEW v${i} AS ${text};`;
          });
          const views = parseViewsFile(sql, FILE).views;
          assert.deepEqual(
            views.map((v) => v.query),
            statements,
          );
          assert.deepEqual(
            views.map((v) => v.line),
            lines,
          );
        },
      ),
      fuzz(400),
    );
  });

  it('reads any number of views in order, with names folded as Postgres folds them', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(viewName, { minLength: 1, maxLength: 6, selector: normalizeIdentifier }),
        fc.array(fc.constantFrom('SELECT 1', 'SELECT count(*) FROM recentchanges', "SELECT ';' AS s"), {
          minLength: 1,
          maxLength: 6,
        }),
        (names, queries) => {
          const body = names
            .map((name, i) => `CREATE MATERIALIZED VIEW ${name} AS ${queries[i % queries.length]};`)
            .join('\n');
          const parsed = parseViewsFile(`CREATE TABLE recentchanges (id bigint);\n${body}`, FILE);
          assert.equal(parsed.inputTable.name, 'recentchanges');
          assert.deepEqual(
            parsed.views.map((v) => v.name),
            names.map(normalizeIdentifier),
          );
          assert.deepEqual(
            parsed.views.map((v) => v.line),
            names.map((_, i) => i + 2),
          );
        },
      ),
      fuzz(300),
    );
  });

  it('refuses a view defined twice, also when only the case of a bare name differs', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/), (name) => {
        const sql = `CREATE TABLE t (x int);\nCREATE VIEW ${name} AS SELECT 1;\nCREATE VIEW ${name.toUpperCase()} AS SELECT 2;`;
        assert.throws(() => parseViewsFile(sql, FILE), {
          code: 'VIEWCAST_BAD_VIEWS_FILE',
          message: new RegExp(`line 3: view "${name.replace(/\$/g, '\\$')}" is defined twice`),
        });
      }),
      fuzz(200),
    );
  });

  it('keeps "--" inside strings and cuts a trailing comment (cases the properties found)', () => {
    const sql =
      "CREATE TABLE t (x text);\nCREATE VIEW v AS SELECT $q$\n-- kept$q$ AS a, '\n--' AS b -- cut\n;";
    const parsed = parseViewsFile(sql, FILE);
    assert.equal(parsed.views[0]?.query, "SELECT $q$\n-- kept$q$ AS a, '\n--' AS b");
  });

  it('reads a dollar sign inside a name as part of the name, not as a dollar quote', () => {
    const parsed = parseViewsFile(
      'CREATE TABLE t (x int);\nCREATE VIEW a$$ AS SELECT 1;\nCREATE VIEW b AS SELECT 2;',
      FILE,
    );
    assert.deepEqual(
      parsed.views.map((v) => v.name),
      ['a$$', 'b'],
    );
  });
});
