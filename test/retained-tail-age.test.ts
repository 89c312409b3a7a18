/**
 * The retained log's small transactions (a live stream commits one event at a time) wait as
 * uncompressed tail entries and are compressed into a chunk once the oldest of them is a minute
 * old, also when that oldest entry was written before a restart. The age is known without reading
 * LMDB after every commit (retained-log.ts). Real engine, real LMDB, a manual clock.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CHUNK_SPAN_MS } from '../src/engine/store/retained-format.js';
import { manualClock, type ManualClock } from './support/clock.js';
import { startEngine, suiteTempDirs, writeViews } from './support/engine.js';
import { feed, recordedEvents, TABLE } from './support/retained-feed.js';

const T0 = Date.UTC(2026, 11, 1, 8, 0, 0);
const VIEWS = `${TABLE}
CREATE VIEW counter AS SELECT count(*) AS n FROM recentchanges;
`;

describe('retained log: one-event transactions compressed once a minute old', { timeout: 120_000 }, () => {
  const fresh = suiteTempDirs();
  const events = recordedEvents().slice(0, 20);
  const open = (dataDir: string, viewsFile: string, clock: ManualClock) =>
    startEngine(viewsFile, { dataDir, clock, tickMs: 0 });

  it('keeps them as they are for a minute, then compresses them, across a restart', async () => {
    const clock = manualClock(T0);
    const dataDir = join(fresh(), 'data');
    const viewsFile = writeViews(VIEWS, fresh());
    let engine = await open(dataDir, viewsFile, clock);
    try {
      await feed(engine, clock, events.slice(0, 10), { batch: 1, follow: false });
      await engine.maintainRetention();
      const waiting = engine.storage()?.bytes ?? 0;
      // Uncompressed msgpack of a recorded event: about 1,300 bytes.
      assert.ok(waiting > 10 * 800, `${waiting} bytes in the tail`);

      // Restarted before the minute is up: the tail waits on.
      await engine.close();
      clock.set(T0 + CHUNK_SPAN_MS - 1_000);
      engine = await open(dataDir, viewsFile, clock);
      await feed(engine, clock, events.slice(10, 20), { batch: 1, follow: false });
      await engine.maintainRetention();
      const before = engine.storage();
      assert.equal(before?.events, 20);
      assert.ok((before?.bytes ?? 0) > 20 * 800, `${before?.bytes} bytes before the minute`);

      // The oldest entry (written before the restart, at T0 + 1) is a minute old: compressed now.
      clock.set(T0 + 1 + CHUNK_SPAN_MS);
      await engine.maintainRetention();
      const after = engine.storage();
      assert.equal(after?.events, 20);
      assert.ok((after?.bytes ?? Infinity) < (before?.bytes ?? 0) / 2, `${after?.bytes} bytes after`);
    } finally {
      await engine.close();
    }
  });
});
