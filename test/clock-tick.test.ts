/**
 * The engine's frontier moves with the clock, driven by an injected clock (no sleeps):
 * with no events, every tick is a timestamp of its own with progress for every subscriber; a
 * windowed view retracts its rows on the first tick at or after their boundary, and its aggregate
 * follows. `--retime` gives replayed events the time they are replayed at.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplaySource } from '../src/sources/replay.js';
import type { RawEvent } from '../src/sources/types.js';
import { manualClock } from './support/clock.js';
import { Recorder, startEngine, writeViews } from './support/engine.js';
import { recording, RECORDING_2476 } from './support/shared-data.js';

const T0 = 1_780_000_000_000;
const VIEWS = `CREATE TABLE recentchanges ("user" text, r_ts bigint);
CREATE MATERIALIZED VIEW counter AS SELECT count(*) AS count FROM recentchanges;
CREATE MATERIALIZED VIEW recent AS
    SELECT count(*) AS edits FROM recentchanges WHERE mz_now() <= r_ts * 1000 + 300000;`;

describe('the clock tick', { timeout: 60_000 }, () => {
  it('advances the timestamp while idle, with progress for every subscriber, and closes windows on ticks', async () => {
    const clock = manualClock(T0);
    const engine = await startEngine(writeViews(VIEWS), { clock, tickMs: 1000 });
    try {
      const counter = new Recorder(engine, 'counter');
      const recent = new Recorder(engine, 'recent');
      await recent.reach(T0);
      clock.advance(1000);
      await counter.reach(T0 + 1000);
      assert.equal(engine.timestamp, T0 + 1000, 'an idle second is a timestamp of its own');
      assert.deepEqual(counter.dataTimestamps, [T0]);

      const ingested = await engine.ingest([{ user: 'a', r_ts: (T0 + 1000) / 1000 }], {});
      assert.equal(ingested, T0 + 1001);
      await recent.reach(ingested);
      assert.deepEqual(recent.stateAt(ingested), [[[1], 1]]);

      // The window ends at r_ts * 1000 + 300000 = T0 + 301000 (inclusive): the tick at T0 + 302000 retracts.
      clock.advance(300_000);
      await recent.reach(T0 + 301_000);
      assert.deepEqual(recent.stateAt(T0 + 301_000), [[[1], 1]]);
      clock.advance(1000);
      await recent.reach(T0 + 302_000);
      assert.deepEqual(recent.at(T0 + 302_000), [
        [[0], 1],
        [[1], -1],
      ]);
      assert.deepEqual(counter.stateAt(T0 + 302_000), [[[1], 1]], 'the cumulative view keeps it');
    } finally {
      await engine.close();
    }
  });

  it('tick 0 never advances on its own', async () => {
    const clock = manualClock(T0);
    const engine = await startEngine(writeViews(VIEWS), { clock, tickMs: 0 });
    try {
      clock.advance(10_000);
      assert.equal(await engine.tick(), T0 + 10_000, 'an explicit tick still works');
      clock.advance(10_000);
      await engine.ingest([], {});
      assert.equal(engine.timestamp, T0 + 20_000);
    } finally {
      await engine.close();
    }
  });
});

describe('--retime', { timeout: 60_000 }, () => {
  async function firstEvents(retime: boolean, now: number): Promise<RawEvent[]> {
    const source = new ReplaySource({
      file: recording(RECORDING_2476),
      speed: 'max',
      retime,
      now: () => now,
    });
    const events: RawEvent[] = [];
    await source.run(
      {
        push: (event: RawEvent) => {
          events.push(event);
          if (events.length === 3) source.stop();
          return Promise.resolve();
        },
        skip: () => undefined,
      } as unknown as Parameters<ReplaySource['run']>[0],
      null,
    );
    return events;
  }

  it('moves timestamp (seconds) and meta.dt to the moment of replay; off by default', async () => {
    const now = Date.UTC(2026, 11, 1, 9, 30, 0, 250);
    const plain = await firstEvents(false, now);
    const retimed = await firstEvents(true, now);
    assert.equal(retimed.length, 3);
    for (const [i, event] of retimed.entries()) {
      assert.equal(event['timestamp'], Math.floor(now / 1000));
      assert.equal((event['meta'] as Record<string, unknown>)['dt'], '2026-12-01T09:30:00.250Z');
      const original = plain[i] as RawEvent;
      assert.notEqual(original['timestamp'], event['timestamp'], 'a plain replay keeps the recorded time');
      assert.equal(original['title'], event['title'], 'nothing else changes');
    }
  });
});
