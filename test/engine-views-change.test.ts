/**
 * A data directory started with an edited views file: unchanged views keep their state, a view whose
 * stored state still applies (only its select list changed) or that reads only views is built again,
 * a removed view's state is dropped, an edit of comments or whitespace changes nothing, and a change
 * that would need events no longer retained is refused with what to do (recomputing from the
 * retained events: engine-recompute.test.ts). Real engine, real LMDB.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ViewcastError } from '../src/core/errors.js';
import type { EmbeddedEngine } from '../src/engine/embedded/engine.js';
import { Recorder, startEngine, tempDir, writeViews } from './support/engine.js';

const TABLE = `CREATE TABLE recentchanges ("user" text, wiki text, bot boolean);`;

async function contents(engine: EmbeddedEngine, view: string): Promise<Array<[unknown[], number]>> {
  const recorder = new Recorder(engine, view);
  await recorder.reach(engine.timestamp);
  return recorder.stateAt(engine.timestamp);
}

describe('a views file that changes under a data directory', { timeout: 120_000 }, () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const fresh = (): { dir: string; dataDir: string } => {
    const dir = tempDir();
    dirs.push(dir);
    return { dir, dataDir: join(dir, 'data') };
  };

  it('keeps unchanged views, reuses a grouped state under a new select list, builds views over views, drops removed ones', async () => {
    const { dir, dataDir } = fresh();
    const first = writeViews(
      `${TABLE}
CREATE VIEW counter AS SELECT count(*) AS n FROM recentchanges;
CREATE VIEW fragile AS SELECT 100 / (3 - count(*)) AS ratio FROM recentchanges;
CREATE VIEW per_user AS SELECT "user", count(*) AS n FROM recentchanges GROUP BY "user";
CREATE VIEW old AS SELECT wiki FROM recentchanges;`,
      dir,
    );
    const engine = await startEngine(first, { dataDir });
    await engine.ingest([{ user: 'ann' }, { user: 'bob' }, { user: 'ann' }, { user: 'cy' }], { test: '4' });
    await engine.close();

    const second = writeViews(
      `${TABLE}
-- a comment and other spacing: counter is unchanged
CREATE VIEW counter AS
  SELECT count(*) AS n   FROM recentchanges;
CREATE VIEW fragile AS SELECT 100 / NULLIF(3 - count(*), 0) AS ratio FROM recentchanges;
CREATE VIEW per_user AS SELECT "user", count(*) AS n FROM recentchanges GROUP BY "user";
CREATE VIEW busiest AS SELECT * FROM per_user ORDER BY n DESC LIMIT 1;`,
      dir,
    );
    const again = await startEngine(second, { dataDir });
    try {
      assert.deepEqual(await contents(again, 'counter'), [[[4], 1]]);
      assert.deepEqual(await contents(again, 'fragile'), [[[-100], 1]]);
      assert.deepEqual(await contents(again, 'busiest'), [[['ann', 2], 1]]);
      assert.equal(await again.resumePosition('test'), '4');
      assert.ok(again.notes.some((n) => n.includes('"old" removed')));
      assert.ok(!again.notes.some((n) => n.includes('"counter"')), 'an edit of comments changes nothing');
    } finally {
      await again.close();
    }
  });

  it('refuses a change that needs events no longer retained, and leaves the directory as it was', async () => {
    const { dir, dataDir } = fresh();
    const first = writeViews(
      `${TABLE}\nCREATE VIEW counter AS SELECT count(*) AS n FROM recentchanges;\n`,
      dir,
    );
    // --retain 0: the events are counted, not kept.
    const engine = await startEngine(first, { dataDir, retainMs: 0 });
    await engine.ingest([{ user: 'ann', bot: true }], { test: '1' });
    await engine.close();

    const second = writeViews(
      `${TABLE}\nCREATE VIEW counter AS SELECT count(*) AS n FROM recentchanges WHERE bot;\n`,
      fresh().dir,
    );
    await assert.rejects(
      startEngine(second, { dataDir }),
      (error: unknown) =>
        error instanceof ViewcastError &&
        error.code === 'VIEWCAST_HISTORY_NOT_RETAINED' &&
        /view "counter" \(line 2\) needs every event since the data directory was made/.test(error.message) &&
        /ingested with --retain 0/.test(error.message) &&
        /--retain all/.test(error.message) &&
        /Restore the view's previous definition/.test(error.message),
    );
    const again = await startEngine(first, { dataDir });
    try {
      assert.deepEqual(await contents(again, 'counter'), [[[1], 1]]);
      assert.equal(await again.resumePosition('test'), '1');
    } finally {
      await again.close();
    }
  });
});
