/**
 * The embedded engine keeps the SUBSCRIBE contract of DESIGN.md: progress rows, a snapshot at the
 * first timestamp (or none), consolidated diffs of any size per row and timestamp, strictly
 * increasing timestamps shared by all views. On the delta path (the default), on a views file that
 * exercises each kind of view; AS OF is the hub's (its retention log), not the engine's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EmbeddedEngine } from '../src/engine/embedded/engine.js';
import { recordMapper } from '../src/ingest/records.js';
import { Recorder, startEngine, writeViews } from './support/engine.js';

const VIEWS = `
CREATE TABLE recentchanges ("user" text, wiki text, length_new bigint, bot boolean, comment text);
CREATE MATERIALIZED VIEW counter AS SELECT count(*) AS n FROM recentchanges;
CREATE MATERIALIZED VIEW per_user AS SELECT "user", count(*) AS n FROM recentchanges GROUP BY "user";
-- No aggregate: equal rows are one row with a count.
CREATE MATERIALIZED VIEW wikis AS SELECT wiki FROM recentchanges WHERE wiki IS NOT NULL;
CREATE MATERIALIZED VIEW longest AS
  SELECT "user", max(length_new) AS longest FROM recentchanges WHERE "user" LIKE 'long%' GROUP BY "user";
-- An expression over an aggregate.
CREATE MATERIALIZED VIEW busy AS
  SELECT (count(*) >= 2) AS busy FROM recentchanges WHERE "user" LIKE 'pair%' GROUP BY "user";
CREATE MATERIALIZED VIEW top2 AS SELECT * FROM per_user ORDER BY n DESC LIMIT 2;
`;

describe('embedded engine: SUBSCRIBE semantics', { timeout: 300_000 }, () => {
  let engine: EmbeddedEngine;
  const streams: Record<string, Recorder> = {};

  before(async () => {
    engine = await startEngine(writeViews(VIEWS));
    for (const view of ['counter', 'per_user', 'wikis', 'longest', 'busy', 'top2'])
      streams[view] = new Recorder(engine, view);
    await Promise.all(Object.values(streams).map((s) => s.when((r) => r.frontier >= 0)));
  });

  after(async () => {
    await engine?.close();
  });

  const stream = (view: string): Recorder => streams[view] as Recorder;

  it('runs every view on the delta path, without loading PGlite', () => {
    assert.deepEqual(
      engine.views.map((v) => [v.name, v.path]),
      ['counter', 'per_user', 'wikis', 'longest', 'busy', 'top2'].map((name) => [name, 'delta']),
    );
    assert.equal(engine.pgliteLoaded, false);
    assert.deepEqual(engine.warnings, []);
  });

  it('fills only the input columns some view reads', () => {
    assert.deepEqual(engine.inputColumns.map((c) => c.name).sort(), ['length_new', 'user', 'wiki']);
  });

  it('opens with a progress row, the snapshot at that timestamp, then progress past it', () => {
    const rows = stream('counter').rows;
    const start = rows[0];
    assert.ok(start?.progressed);
    assert.deepEqual(rows.slice(1, 3), [
      { progressed: false, timestamp: start.timestamp, diff: 1, row: [0] },
      { progressed: true, timestamp: start.timestamp + 1 },
    ]);
    // An empty view's snapshot is just the two progress rows.
    assert.deepEqual(
      stream('per_user').rows.map((r) => r.progressed),
      [true, true],
    );
  });

  it('sends one timestamp per transaction with multi-row diffs and retractions, consolidated', async () => {
    const t1 = await engine.ingest([{ user: 'ann' }, { user: 'bob' }, { user: 'ann' }], {});
    const t2 = await engine.ingest([{ user: 'ann' }, { user: 'cy' }], {});
    assert.ok(t2 > t1);
    assert.deepEqual(stream('per_user').at(t1), [
      [['ann', 2], 1],
      [['bob', 1], 1],
    ]);
    assert.deepEqual(stream('per_user').at(t2), [
      [['ann', 2], -1],
      [['ann', 3], 1],
      [['cy', 1], 1],
    ]);
    assert.deepEqual(stream('counter').at(t2), [
      [[3], -1],
      [[5], 1],
    ]);
  });

  it('sends equal rows as one row with a diff of +2, and a re-evaluated change as -2/+2', async () => {
    const t1 = await engine.ingest(
      [
        { user: 'pair-a', wiki: 'enwiki' },
        { user: 'pair-b', wiki: 'enwiki' },
      ],
      {},
    );
    assert.deepEqual(stream('wikis').at(t1), [[['enwiki'], 2]]);
    assert.deepEqual(stream('busy').at(t1), [[[false], 2]]);
    const t2 = await engine.ingest([{ user: 'pair-a' }, { user: 'pair-b' }], {});
    assert.deepEqual(stream('busy').at(t2), [
      [[false], -2],
      [[true], 2],
    ]);
    assert.deepEqual(stream('wikis').at(t2), []);
  });

  it('carries NULLs as null, and retracts a row that holds one', async () => {
    const t1 = await engine.ingest([{ user: null }], {});
    const t2 = await engine.ingest([{ wiki: 'dewiki' }], {}); // no user at all: NULL too
    assert.deepEqual(stream('per_user').at(t1), [[[null, 1], 1]]);
    assert.deepEqual(stream('per_user').at(t2), [
      [[null, 1], -1],
      [[null, 2], 1],
    ]);
  });

  it('sends nothing for a row deleted and inserted again in the same transaction', async () => {
    const t1 = await engine.ingest([{ user: 'long-dan', length_new: 100 }], {});
    assert.deepEqual(stream('longest').at(t1), [[['long-dan', 100], 1]]);
    // The group's row is unchanged (its max stays 100): nothing is sent for it.
    const t2 = await engine.ingest([{ user: 'long-dan', length_new: 50 }], {});
    assert.deepEqual(stream('longest').at(t2), []);
    assert.equal(stream('counter').at(t2).length, 2);
    const t3 = await engine.ingest([{ user: 'long-dan', length_new: 500 }], {});
    assert.deepEqual(stream('longest').at(t3), [
      [['long-dan', 100], -1],
      [['long-dan', 500], 1],
    ]);
  });

  it('stores text Postgres cannot hold (NUL, a lone surrogate) with U+FFFD instead of failing', async () => {
    const map = recordMapper(engine.inputColumns);
    const t = await engine.ingest([map({ user: 'nul\u0000here' }), map({ user: 'half\ud800' })], {});
    assert.deepEqual(stream('per_user').at(t), [
      [['half\uFFFD', 1], 1],
      [['nul\uFFFDhere', 1], 1],
    ]);
  });

  it('gives every transaction a strictly greater timestamp, even many in one millisecond', async () => {
    const stamps = await Promise.all(
      Array.from({ length: 20 }, (_, i) => engine.ingest([{ user: `burst-${i}` }], {})),
    );
    for (let i = 1; i < stamps.length; i++) assert.ok((stamps[i] as number) > (stamps[i - 1] as number));
    const progress = stream('counter')
      .rows.filter((r) => r.progressed)
      .map((r) => r.timestamp);
    for (let i = 1; i < progress.length; i++)
      assert.ok((progress[i] as number) > (progress[i - 1] as number));
    // Data rows come before the progress row that closes their timestamp.
    let frontier = -1;
    for (const row of stream('counter').rows) {
      if (row.progressed) frontier = row.timestamp;
      else assert.ok(row.timestamp >= frontier);
    }
  });

  it('shows every view at a timestamp with exactly the same events', async () => {
    const last = await engine.ingest([{ user: 'zed' }, { user: 'ann' }], {});
    for (const t of stream('counter').dataTimestamps.filter((t) => t <= last)) {
      const counter = stream('counter').stateAt(t);
      const perUser = stream('per_user').stateAt(t);
      const total = perUser.reduce((sum, [row, count]) => sum + Number(row[1]) * count, 0);
      assert.deepEqual(counter, [[[total], 1]], `at ${t}`);
    }
  });

  it('breaks ties in a top-k by the remaining columns, ascending', async () => {
    // ann leads; then bob, burst-*, cy, ... all tie at 1 or 2: the smallest name among the
    // runners-up wins the second place.
    const state = stream('top2').stateAt(engine.timestamp);
    const perUser = stream('per_user')
      .stateAt(engine.timestamp)
      .map(([row]) => row as [string | null, number]);
    const expected = perUser
      .sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]))
      .slice(0, 2)
      .map((row): [unknown[], number] => [row, 1])
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    assert.deepEqual(state, expected);
  });

  it('leaves out the snapshot with SNAPSHOT off, and sends only later changes', async () => {
    const late = new Recorder(engine, 'per_user', { snapshot: false });
    await late.when((r) => r.frontier >= 0);
    const start = late.rows[0]?.timestamp as number;
    assert.deepEqual(late.rows, [
      { progressed: true, timestamp: start },
      { progressed: true, timestamp: start + 1 },
    ]);
    const t = await engine.ingest([{ user: 'yan' }], {});
    assert.deepEqual(late.at(t), [[['yan', 1], 1]]);
  });
});

function compareText(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1; // NULLs last
  if (b === null) return -1;
  return a < b ? -1 : 1;
}
