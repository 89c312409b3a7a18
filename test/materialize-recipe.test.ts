/**
 * views/wikirecent.materialize.sql, checked without Materialize (which cannot run here): its view
 * SQL runs on real Postgres (PGlite) over the 2,476-event recording posted as webhook bodies, and
 * must give the recording's ground truth and the same columns as the embedded views file. Only the
 * Materialize-specific statements are stood in for: the webhook source by a table with its `body`
 * jsonb column, CREATE MATERIALIZED VIEW by CREATE VIEW.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { splitStatements } from '../src/pgwire/sql-lexer.js';
import { loadSqlParser, parseViewsFile } from '../src/sql/views-file.js';
import { groundTruth2476, projectRoot, recording, RECORDING_2476 } from './support/shared-data.js';

describe('the Materialize recipe (views/wikirecent.materialize.sql)', { timeout: 300_000 }, () => {
  it('defines the same views over the same columns, and gives the ground truth on Postgres', async () => {
    const recipe = await readFile(`${projectRoot}views/wikirecent.materialize.sql`, 'utf8');
    await loadSqlParser();
    const embedded = parseViewsFile(
      await readFile(`${projectRoot}views/wikirecent.sql`, 'utf8'),
      'wikirecent.sql',
    );
    const db = new PGlite();
    try {
      // Postgres has no mz_now(): an emulation lets the recipe's windowed views be created here.
      await db.exec(
        'CREATE FUNCTION mz_now() RETURNS bigint LANGUAGE sql AS $$SELECT (extract(epoch FROM now()) * 1000)::bigint$$',
      );
      for (const piece of splitStatements(recipe)) {
        const text = piece.replace(/^\s*(--.*\n\s*)*/, '').trim();
        if (/^CREATE SOURCE wikirecent_webhook FROM WEBHOOK BODY FORMAT JSON ARRAY$/i.test(text)) {
          await db.exec('CREATE TABLE wikirecent_webhook (body jsonb)');
        } else {
          await db.exec(text.replace(/^CREATE MATERIALIZED VIEW/i, 'CREATE VIEW'));
        }
      }
      const events = (await readFile(recording(RECORDING_2476), 'utf8')).split('\n').filter(Boolean);
      await db.query('INSERT INTO wikirecent_webhook SELECT jsonb_array_elements($1::jsonb)', [
        `[${events.join(',')}]`,
      ]);

      const input = await db.query('SELECT * FROM recentchanges LIMIT 0');
      const columns = embedded.tables[0]?.columns.map((c) => c.name);
      assert.deepEqual(
        input.fields.map((f) => f.name),
        columns,
      );
      for (const view of embedded.views) {
        const fields = (await db.query(`SELECT * FROM ${view.name} LIMIT 0`)).fields.map((f) => f.name);
        assert.ok(fields.length > 0, view.name);
      }
      assert.deepEqual((await db.query('SELECT count FROM counter')).rows, [{ count: 2476 }]);
      const top10 = await db.query<{ user: string; count: number }>(
        'SELECT "user", count FROM top10 ORDER BY count DESC',
      );
      assert.deepEqual(
        top10.rows.map((r) => [r.user, r.count]),
        groundTruth2476().slice(0, 10),
      );
      const users = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM user_edits');
      assert.equal(users.rows[0]?.n, 292);
    } finally {
      await db.close();
    }
  });
});
