/**
 * `--sync-commits`: the flag reaches the engine's store, refuses `--memory`, and an engine that
 * commits with it keeps its views across a restart like the default does.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseServeOptions } from '../src/cli/options.js';
import { UsageError } from '../src/core/errors.js';
import { startEngine, suiteTempDirs, writeViews } from './support/engine.js';
import { contents, TABLE } from './support/retained-feed.js';

const fresh = suiteTempDirs();
const VIEWS = `${TABLE}
CREATE MATERIALIZED VIEW per_user AS SELECT "user", count(*) AS n FROM recentchanges GROUP BY "user";`;

describe('--sync-commits', { timeout: 60_000 }, () => {
  it('is off by default, on with the flag, and refused with --memory', () => {
    const sync = (...args: string[]): boolean => {
      const options = parseServeOptions(args);
      assert.notEqual(options, 'help');
      return options !== 'help' && options.syncCommits;
    };
    assert.equal(sync(), false);
    assert.equal(sync('--sync-commits'), true);
    assert.throws(
      () => sync('--memory', '--sync-commits'),
      (e: unknown) =>
        e instanceof UsageError && /--sync-commits .* does not go with --memory/.test(e.message),
    );
  });

  for (const syncCommits of [true, false])
    it(`keeps the views across a restart (sync commits ${syncCommits ? 'on' : 'off'})`, async () => {
      const dataDir = join(fresh(), 'data');
      const views = writeViews(VIEWS, fresh());
      const first = await startEngine(views, { dataDir, tickMs: 0, syncCommits });
      await first.ingest([{ user: 'ann' }, { user: 'bob' }], { test: '1' });
      await first.ingest([{ user: 'ann' }], { test: '2' });
      await first.close();
      const again = await startEngine(views, { dataDir, tickMs: 0, syncCommits });
      try {
        assert.deepEqual(await contents(again, 'per_user'), [
          [['ann', 2], 1],
          [['bob', 1], 1],
        ]);
      } finally {
        await again.close();
      }
    });
});
