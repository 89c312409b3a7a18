/**
 * Recovery across the engine's two stores: the engine's store is the source of truth and PGlite may
 * lag it by one transaction (a crash after the store committed, before PGlite did). That transaction
 * is kept in the store as pending and applied to PGlite again at start.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LmdbEngineStore } from '../src/engine/store/lmdb-store.js';
import { Recorder, startEngine, tempDir, writeViews } from './support/engine.js';

const VIEWS = `
CREATE TABLE recentchanges ("user" text, wiki text);
CREATE MATERIALIZED VIEW per_user AS SELECT "user", count(*) AS n FROM recentchanges GROUP BY "user";
CREATE MATERIALIZED VIEW ranked AS SELECT "user", rank() OVER (ORDER BY n DESC, "user") AS place FROM per_user;
`;

describe('PGlite one transaction behind the engine store', { timeout: 300_000 }, () => {
  const dir = tempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('applies the pending transaction to PGlite again at start', async () => {
    const file = writeViews(VIEWS, dir);
    const dataDir = join(dir, 'data');
    let engine = await startEngine(file, { dataDir });
    const t1 = await engine.ingest([{ user: 'ann' }], { test: '1' });
    await engine.close();

    // What a crash between the two commits leaves: the store has the next transaction (with its
    // input kept as pending), PGlite does not.
    const store = new LmdbEngineStore(join(dataDir, 'state'));
    const t2 = t1 + 1;
    await store.commit(
      t2,
      { test: '2' },
      {
        timestamp: t2,
        changes: [{ user: 'bob' }, { user: 'bob' }].map((row) => ({ table: 'recentchanges', row, diff: 1 })),
      },
    );
    await store.close();

    engine = await startEngine(file, { dataDir });
    try {
      assert.equal(await engine.resumePosition('test'), '2');
      const ranked = new Recorder(engine, 'ranked');
      await ranked.when((r) => r.frontier >= 0);
      assert.deepEqual(ranked.stateAt(ranked.frontier), [
        [['ann', 2], 1],
        [['bob', 1], 1],
      ]);
    } finally {
      await engine.close();
    }
  });
});
