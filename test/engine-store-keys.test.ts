/**
 * The durable store keeps every operator entry under a key it can read back: a group of several
 * columns (each value of a group key ends with NUL) restarts from its data directory with the same
 * contents and goes on counting, as views/dashboard.sql's `top_pages` (GROUP BY wiki, title) must.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Recorder, startEngine, tempDir, writeViews } from './support/engine.js';

const VIEWS = `
CREATE TABLE recentchanges ("user" text, wiki text, title text, bot boolean);
CREATE MATERIALIZED VIEW pages AS
  SELECT wiki, title, count(*) AS edits, count(DISTINCT "user") AS editors
  FROM recentchanges GROUP BY wiki, title;
CREATE MATERIALIZED VIEW top_pages AS SELECT * FROM pages ORDER BY edits DESC LIMIT 2;
CREATE MATERIALIZED VIEW per_bot AS SELECT bot, count(DISTINCT "user") AS accounts FROM recentchanges GROUP BY bot;
`;

const rows = (n: number, from = 0): Array<Record<string, unknown>> =>
  Array.from({ length: n }, (_, i) => ({
    user: `u${(from + i) % 3}`,
    wiki: `w${(from + i) % 2}`,
    // Titles as long as real ones: lmdb reads a short key with a NUL back as a string, a long one not.
    title:
      (from + i) % 4 === 0
        ? null
        : `File:Portrait of a long enough title for the key, number ${(from + i) % 5}.jpg`,
    bot: (from + i) % 3 === 0,
  }));

async function contents(
  engine: Awaited<ReturnType<typeof startEngine>>,
  view: string,
): Promise<Array<[unknown[], number]>> {
  const recorder = new Recorder(engine, view);
  await recorder.when((r) => r.frontier >= 0);
  return recorder.stateAt(recorder.frontier);
}

describe('operator entries across a restart of the data directory', { timeout: 60_000 }, () => {
  const dir = tempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads back groups of several columns and their distinct values', async () => {
    const file = writeViews(VIEWS, dir);
    const dataDir = join(dir, 'data');
    let engine = await startEngine(file, { dataDir, tickMs: 0 });
    for (let i = 0; i < 6; i++) await engine.ingest(rows(7, i * 7), { test: String(i) });
    const before = {
      pages: await contents(engine, 'pages'),
      top: await contents(engine, 'top_pages'),
      bots: await contents(engine, 'per_bot'),
    };
    await engine.close();

    engine = await startEngine(file, { dataDir, tickMs: 0 });
    try {
      assert.deepEqual(await contents(engine, 'pages'), before.pages);
      assert.deepEqual(await contents(engine, 'top_pages'), before.top);
      assert.deepEqual(await contents(engine, 'per_bot'), before.bots);
      // It goes on from there: the same groups are updated, not made again.
      await engine.ingest(rows(7, 42), { test: '6' });
      const reference = await startEngine(file, { tickMs: 0 });
      try {
        for (let i = 0; i < 7; i++) await reference.ingest(rows(7, i * 7), {});
        assert.deepEqual(await contents(engine, 'pages'), await contents(reference, 'pages'));
        assert.deepEqual(await contents(engine, 'per_bot'), await contents(reference, 'per_bot'));
      } finally {
        await reference.close();
      }
    } finally {
      await engine.close();
    }
  });
});
