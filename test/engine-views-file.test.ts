/**
 * Views files as users write them: a view Postgres refuses stops `viewcast serve` before it serves
 * anything, with one paragraph that names the view, its line and Postgres's reason; a data
 * directory made with another views file is refused with what to do about it.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { runCli } from './support/cli.js';
import { Recorder, startEngine, tempDir, writeViews } from './support/engine.js';

const TABLE = `CREATE TABLE recentchanges ("user" text, wiki text, bot boolean);`;

describe('views files', { timeout: 300_000 }, () => {
  const dirs: string[] = [];
  const dir = (): string => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('stops start-up on a view Postgres refuses, naming the view, the line and the reason', async () => {
    const file = writeViews(
      [
        TABLE,
        '',
        '-- fine',
        'CREATE MATERIALIZED VIEW counter AS SELECT count(*) AS n FROM recentchanges;',
        '',
        'CREATE MATERIALIZED VIEW per_wiki AS',
        '  SELECT wikki, count(*) FROM recentchanges GROUP BY wikki;',
      ].join('\n'),
      dir(),
    );
    const server = runCli(['serve', '--views', file, '--memory', '--port', '0', '--pg-port', '0']);
    assert.equal(await server.exited, 1);
    const lines = server.stderr.trim().split('\n');
    const message = lines.find((l) => l.startsWith('viewcast:')) ?? '';
    assert.match(message, /^viewcast: View "per_wiki" \(.*views\.sql, line 6\) cannot be created: /);
    assert.match(message, /column "wikki" does not exist/);
    assert.match(message, /Fix the view's SQL, or remove it from the file, and start again\.$/);
    assert.doesNotMatch(server.stderr, /listening on/);
    assert.doesNotMatch(server.stderr, /at .*\.js:\d+/, 'no stack trace for a user error');
  });

  it('keeps serving a view whose SQL fails on its input: the error is data, naming the view', async () => {
    const file = writeViews(
      `${TABLE}\nCREATE VIEW ratio AS SELECT count(*) FILTER (WHERE bot) / count(*) AS r FROM recentchanges;\n`,
      dir(),
    );
    const engine = await startEngine(file);
    try {
      // No rows yet: 0 / 0 is a division by zero, as Postgres says; the engine still starts.
      const ratio = new Recorder(engine, 'ratio');
      await ratio.when((r) => r.frontier >= 0);
      const errors = ratio.rows.flatMap((row) => ('errors' in row ? [row.errors] : []));
      assert.equal(errors.length, 1);
      assert.deepEqual(
        errors[0]?.map((e) => [e.view, e.sqlstate, e.message]),
        [['ratio', '22012', 'division by zero']],
      );
      const t = await engine.ingest([{ user: 'ann', bot: true }], {});
      await ratio.reach(t);
      assert.deepEqual(
        ratio.rows.filter((row) => row.timestamp === t && 'errors' in row),
        [{ progressed: false, timestamp: t, errors: [] }],
      );
      assert.deepEqual(ratio.at(t), [[[1], 1]]);
    } finally {
      await engine.close();
    }
  });

  it('refuses a statement that is not a view, with its line', async () => {
    const file = writeViews(`${TABLE}\n\nDROP TABLE recentchanges;\n`, dir());
    const server = runCli(['serve', '--views', file, '--memory', '--port', '0', '--pg-port', '0']);
    assert.equal(await server.exited, 1);
    assert.match(server.stderr, /line 3: "DROP TABLE recentchanges \.\.\." is not a view/);
  });
});
