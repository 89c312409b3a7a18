/**
 * Draining the ingest pipeline (shutdown, the end of a replay) commits what is left on the next turn,
 * also when a transaction was in flight as the drain began: the batch left behind it does not wait
 * `batchMs` for company that is not coming.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IngestPipeline } from '../src/ingest/pipeline.js';
import { startEngine, writeViews } from './support/engine.js';
import { TABLE } from './support/retained-feed.js';

const VIEWS = `${TABLE}
CREATE VIEW users AS SELECT "user", count(*) AS n FROM recentchanges GROUP BY "user";
`;

// The test's timeout is far below the batch wait: a drain that waited for it fails.
describe('ingest pipeline: drain', { timeout: 20_000 }, () => {
  it('commits the partial batch behind a transaction in flight without waiting batchMs', async () => {
    const engine = await startEngine(writeViews(VIEWS), { tickMs: 0 });
    try {
      const pipeline = new IngestPipeline(engine, {
        batchSize: 100,
        batchMs: 60_000,
        onError: (error) => {
          throw error;
        },
      });
      const sink = pipeline.sinkFor('test');
      // 150 events in one turn: the first 100 are a full batch, committed while the last 50 wait.
      for (let i = 0; i < 150; i++) void sink.push({ user: `u${i % 7}` }, String(i + 1));
      await pipeline.drain();
      assert.equal(pipeline.applied, 150);
      assert.equal(pipeline.commits, 2);
    } finally {
      await engine.close();
    }
  });
});
