/**
 * `--retain`: the retained event log drops what is older than the retention, exactly at the
 * boundary, while ingest goes on; cumulative views keep their state (nothing they counted is lost);
 * a windowed view can still be added when the log holds its window, a view that needs more than was
 * retained is refused naming it. Real engine, real LMDB, the real recording, a manual clock.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ViewcastError } from '../src/core/errors.js';
import type { EmbeddedEngine, EmbeddedEngineOptions } from '../src/engine/embedded/engine.js';
import { manualClock, type ManualClock } from './support/clock.js';
import { startEngine, suiteTempDirs, writeViews } from './support/engine.js';
import { contents, feed, recordedEvents, TABLE } from './support/retained-feed.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 1, 8, 0, 0);

const BASE = `${TABLE}
CREATE VIEW counter AS SELECT count(*) AS n FROM recentchanges;
CREATE VIEW user_edits AS SELECT "user", count(*) AS n FROM recentchanges GROUP BY "user";
`;
const RECENT = `CREATE VIEW recent_users AS SELECT "user", count(*) AS n FROM recentchanges
  WHERE mz_now() <= r_ts * 1000 + 600000 GROUP BY "user";\n`;
const WIKIS = `CREATE VIEW wiki_edits AS SELECT wiki, count(*) AS n FROM recentchanges GROUP BY wiki;\n`;
const TWO_HOURS = `CREATE VIEW two_hours AS SELECT count(*) AS n FROM recentchanges
  WHERE mz_now() <= r_ts * 1000 + 7200000;\n`;

describe('retention of the event log', { timeout: 180_000 }, () => {
  const fresh = suiteTempDirs();
  const events = recordedEvents();
  const [a, b, c] = [events.slice(0, 1000), events.slice(1000, 2000), events.slice(2000)];
  const open = (
    sql: string,
    dataDir: string,
    clock: ManualClock,
    more: Partial<EmbeddedEngineOptions> = {},
  ) => startEngine(writeViews(sql, fresh()), { dataDir, clock, tickMs: 0, retainMs: HOUR, ...more });

  /** Batch a at T0, b at T0 + 30 min, c at T0 + 70 min (while the log is pruned); retimed. */
  async function history(engine: EmbeddedEngine, clock: ManualClock, prune: boolean): Promise<number[]> {
    const [ta] = await feed(engine, clock, a, { batch: a.length, retime: true, follow: false });
    clock.set(T0 + 30 * MINUTE);
    const [tb] = await feed(engine, clock, b, { batch: b.length, retime: true, follow: false });
    clock.set(T0 + 70 * MINUTE);
    const ingest = feed(engine, clock, c, { batch: 100, retime: true, follow: false });
    if (prune) await engine.maintainRetention();
    const tc = await ingest;
    return [ta as number, tb as number, ...tc];
  }

  it('drops what is older than --retain at the boundary while ingest goes on; counted events stay counted', async () => {
    const clock = manualClock(T0);
    const dataDir = join(fresh(), 'data');
    const engine = await open(BASE, dataDir, clock);
    try {
      const tb = (await history(engine, clock, true))[1] ?? 0;
      await engine.maintainRetention();
      const storage = engine.storage();
      assert.ok(storage);
      assert.equal(storage.retain, '1h');
      assert.equal(storage.events, b.length + c.length, 'batch a (older than an hour) is dropped');
      assert.equal(storage.oldest, tb);
      assert.equal(storage.complete, false);
      assert.ok((storage.dataDirBytes ?? 0) > storage.bytes);
      // Cumulative views keep their state: every event is still counted.
      assert.deepEqual(await contents(engine, 'counter'), [[[events.length], 1]]);

      // At the boundary: batch b is kept until it is older than an hour, dropped just after.
      clock.set(tb + HOUR);
      await engine.maintainRetention();
      assert.equal(engine.storage()?.events, b.length + c.length);
      clock.set(tb + HOUR + 1);
      await engine.maintainRetention();
      const compacted = engine.storage();
      assert.equal(compacted?.events, c.length);
      // Compressed: a recorded event takes about 1,300 bytes as msgpack.
      assert.ok(
        compacted && compacted.bytes > 0 && compacted.bytes < c.length * 400,
        `${compacted?.bytes} bytes`,
      );
      assert.deepEqual(await contents(engine, 'counter'), [[[events.length], 1]]);
    } finally {
      await engine.close();
    }
  });

  it('adds a windowed view from the events of its window; refuses views that need what was dropped', async () => {
    const clock = manualClock(T0);
    const dataDir = join(fresh(), 'data');
    const engine = await open(BASE, dataDir, clock);
    await history(engine, clock, true);
    await engine.maintainRetention();
    await engine.close();

    // A cumulative view needs every event; a two-hour window reaches back past the log's start.
    for (const [sql, view, why] of [
      [WIKIS, 'wiki_edits', /needs every event since the data directory was made/],
      [TWO_HOURS, 'two_hours', /keeps events for up to 120 min after they arrive/],
    ] as const) {
      await assert.rejects(
        open(BASE + RECENT + sql, dataDir, clock),
        (error: unknown) =>
          error instanceof ViewcastError &&
          error.code === 'VIEWCAST_HISTORY_NOT_RETAINED' &&
          new RegExp(`view "${view}" \\(line \\d+\\) `).test(error.message) &&
          why.test(error.message) &&
          !/"recent_users"/.test(error.message) &&
          /retained event log holds only events since 2026-12-01T08:30:00/.test(error.message) &&
          /--retain is 1h now/.test(error.message) &&
          /--retain all/.test(error.message),
      );
    }

    // A ten-minute window needs only the last ten minutes: recomputed, as a fresh run has it.
    const changed = await open(BASE + RECENT, dataDir, clock);
    const baseClock = manualClock(T0);
    const baseline = await open(BASE + RECENT, join(fresh(), 'data'), baseClock);
    try {
      await history(baseline, baseClock, false);
      assert.equal(baseClock.now(), clock.now());
      assert.match(changed.notes.join('\n'), /"recent_users" recomputed from 1476 retained events/);
      const recent = await contents(changed, 'recent_users');
      assert.deepEqual(recent, await contents(baseline, 'recent_users'));
      assert.equal(
        recent.reduce((sum, [row]) => sum + Number(row[1]), 0),
        c.length,
        'only the last batch is inside the window',
      );
      assert.deepEqual(await contents(changed, 'counter'), [[[events.length], 1]]);
    } finally {
      await changed.close();
      await baseline.close();
    }
  });

  it('with --retain 0 empties the log and refuses what can no longer be computed', async () => {
    const clock = manualClock(T0);
    const dataDir = join(fresh(), 'data');
    const engine = await open(BASE, dataDir, clock);
    await feed(engine, clock, a, { batch: a.length, follow: false });
    await engine.close();

    await assert.rejects(
      open(BASE + WIKIS, dataDir, clock, { retainMs: 0 }),
      (error: unknown) =>
        error instanceof ViewcastError &&
        error.code === 'VIEWCAST_HISTORY_NOT_RETAINED' &&
        /view "wiki_edits"/.test(error.message) &&
        /--retain is off now/.test(error.message),
    );
    const off = await open(BASE, dataDir, clock, { retainMs: 0 });
    try {
      await feed(off, clock, b, { batch: 100, follow: false });
      await off.maintainRetention();
      assert.deepEqual(
        { ...off.storage(), dataDirBytes: null },
        { retain: 'off', bytes: 0, events: 0, oldest: null, complete: false, dataDirBytes: null },
      );
      assert.deepEqual(await contents(off, 'counter'), [[[a.length + b.length], 1]]);
    } finally {
      await off.close();
    }
  });
});
