/**
 * Events that a source read as JSON text are decoded on demand (only the fields the views read) and
 * retained as that text: a view added later, reading fields no earlier view read, is recomputed from
 * the retained log to what a run that had it from the start gives. A data directory of format 4
 * (events retained as objects) is still read, and becomes the current format.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { EmbeddedEngine } from '../src/engine/embedded/engine.js';
import { DATA_FORMAT } from '../src/engine/embedded/open-store.js';
import { LmdbEngineStore } from '../src/engine/store/lmdb-store.js';
import { IngestPipeline } from '../src/ingest/pipeline.js';
import { ReplaySource } from '../src/sources/replay.js';
import { startEngine, suiteTempDirs, writeViews } from './support/engine.js';
import { contents, TABLE } from './support/retained-feed.js';
import { recording, RECORDING_2476 } from './support/shared-data.js';

const BEFORE = `${TABLE}
CREATE VIEW user_edits AS SELECT "user", count(*) AS n FROM recentchanges GROUP BY "user";
`;

const AFTER = `${BEFORE}
CREATE VIEW wiki_edits AS SELECT wiki, bot, count(*) AS n, sum(length_new) AS grown, max(title) AS last
  FROM recentchanges GROUP BY wiki, bot;
`;

/** Replays the 2,476-event recording through the ingest pipeline, as `--source replay:` does. */
async function replayInto(engine: EmbeddedEngine): Promise<void> {
  const pipeline = new IngestPipeline(engine, {
    batchSize: 200,
    batchMs: 0,
    onError: (error) => {
      throw error;
    },
  });
  const source = new ReplaySource({ file: recording(RECORDING_2476), speed: 'max' });
  await source.run(pipeline.sinkFor(source.id), null);
  await pipeline.drain();
  assert.equal(pipeline.applied, 2476);
}

describe('events retained as their JSON text', { timeout: 120_000 }, () => {
  const fresh = suiteTempDirs();

  it('recomputes an added view from the retained text as a run with it from the start', async () => {
    const dataDir = join(fresh(), 'data');
    const first = await startEngine(writeViews(BEFORE, fresh()), { dataDir, tickMs: 0 });
    assert.deepEqual(
      first.inputColumns.map((c) => c.name),
      ['user'],
      'only the column the views read is decoded',
    );
    await replayInto(first);
    await first.close();

    const afterFile = writeViews(AFTER, fresh());
    const changed = await startEngine(afterFile, { dataDir, tickMs: 0 });
    const baseline = await startEngine(afterFile, { tickMs: 0 });
    try {
      await replayInto(baseline);
      const wikis = await contents(changed, 'wiki_edits');
      assert.ok(wikis.length > 50, `${wikis.length} wiki/bot groups`);
      assert.deepEqual(wikis, await contents(baseline, 'wiki_edits'));
      assert.deepEqual(await contents(changed, 'user_edits'), await contents(baseline, 'user_edits'));
    } finally {
      await changed.close();
      await baseline.close();
    }
  });

  it('reads a data directory of format 4 and marks it the current format', async () => {
    const dataDir = join(fresh(), 'data');
    const views = writeViews(BEFORE, fresh());
    const first = await startEngine(views, { dataDir, tickMs: 0 });
    await first.ingest([{ user: 'ann' }], { test: '1' }, [{ user: 'ann', wiki: 'enwiki' }]);
    await first.close();
    const store = new LmdbEngineStore(join(dataDir, 'state'), 'async', true);
    store.setMeta('format', '4');
    await store.commit(store.lastTimestamp, {}, null);
    await store.close();

    const again = await startEngine(writeViews(AFTER, fresh()), { dataDir, tickMs: 0 });
    try {
      assert.deepEqual(await contents(again, 'wiki_edits'), [[['enwiki', null, 1, null, null], 1]]);
      await again.ingest([{ user: 'bob' }], { test: '2' });
    } finally {
      await again.close();
    }
    const reopened = new LmdbEngineStore(join(dataDir, 'state'), 'async', true);
    try {
      assert.equal(reopened.meta('format'), DATA_FORMAT);
    } finally {
      await reopened.close();
    }
  });
});
