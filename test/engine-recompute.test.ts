/**
 * Views that change under a data directory are computed from the retained event log: the result
 * equals a fresh run over the same events at the same timestamps, for an added view that reads a
 * column no earlier view read, a changed grouping, a changed top-k and a windowed view; progress is
 * reported while it runs. Real engine, real LMDB, the real 2,476-event recording, a manual clock.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { EmbeddedEngineOptions } from '../src/engine/embedded/engine.js';
import { manualClock, type ManualClock } from './support/clock.js';
import { startEngine, suiteTempDirs, writeViews } from './support/engine.js';
import { contents, feed, recordedEvents, recordedStart, TABLE } from './support/retained-feed.js';

const BEFORE = `${TABLE}
CREATE VIEW counter AS SELECT count(*) AS n FROM recentchanges;
CREATE VIEW user_edits AS SELECT "user", count(*) AS n FROM recentchanges GROUP BY "user";
CREATE VIEW top10 AS SELECT * FROM user_edits ORDER BY n DESC, "user" LIMIT 10;
CREATE VIEW longest AS SELECT title, length_new FROM recentchanges WHERE length_new IS NOT NULL
  ORDER BY length_new DESC, title LIMIT 3;
`;

const AFTER = `${TABLE}
-- counter is unchanged (only this comment and the spacing differ)
CREATE VIEW counter AS SELECT count(*)   AS n FROM recentchanges;
CREATE VIEW user_edits AS SELECT "user", bot, count(*) AS n FROM recentchanges GROUP BY "user", bot;
CREATE VIEW top10 AS SELECT * FROM user_edits ORDER BY n DESC, "user" LIMIT 10;
CREATE VIEW longest AS SELECT title, length_new FROM recentchanges WHERE length_new IS NOT NULL
  ORDER BY length_new DESC, title LIMIT 5;
CREATE VIEW wiki_edits AS SELECT wiki, count(*) AS n FROM recentchanges GROUP BY wiki;
CREATE VIEW recent_users AS SELECT "user", count(*) AS n FROM recentchanges
  WHERE mz_now() <= r_ts * 1000 + 20000 GROUP BY "user";
`;

const VIEWS = ['counter', 'user_edits', 'top10', 'longest', 'wiki_edits', 'recent_users'];

describe('views recomputed from the retained events', { timeout: 180_000 }, () => {
  const fresh = suiteTempDirs();
  const events = recordedEvents();
  const start = recordedStart(events);
  const open = (
    file: string,
    dataDir: string,
    clock: ManualClock,
    more: Partial<EmbeddedEngineOptions> = {},
  ) => startEngine(file, { dataDir, clock, tickMs: 0, ...more });

  it('gives what a fresh run over the same events gives: added, regrouped, top-k and windowed views', async () => {
    const dir = fresh();
    const before = writeViews(BEFORE, dir);
    const afterDir = fresh();
    const afterFile = writeViews(AFTER, afterDir);
    const end = start + 60_000;
    let wikiEdits: Array<[unknown[], number]> | undefined;

    // The data directory that lives through the change.
    const clock = manualClock(start);
    const dataDir = join(dir, 'data');
    const first = await open(before, dataDir, clock);
    await feed(first, clock, events, { batch: 50 });
    await first.close();
    clock.set(end);
    const lines: string[] = [];
    const changed = await open(afterFile, dataDir, clock, {
      onProgress: (l) => lines.push(l),
      progressMs: 0,
    });

    // A fresh data directory with the new views file from the first event.
    const freshClock = manualClock(start);
    const baseline = await open(afterFile, join(fresh(), 'data'), freshClock);
    await feed(baseline, freshClock, events, { batch: 50 });
    freshClock.set(end);
    await baseline.tick();
    try {
      for (const view of VIEWS)
        assert.deepEqual(await contents(changed, view), await contents(baseline, view), `view ${view}`);
      assert.deepEqual(await contents(changed, 'counter'), [[[events.length], 1]]);
      // The window is 20 s: of the 46 s recording, the last seconds' users are still in it.
      assert.ok((await contents(changed, 'recent_users')).length > 0);
      assert.ok(
        (await contents(changed, 'wiki_edits')).length > 10,
        'wiki was read from the retained events',
      );
      const note = changed.notes.join('\n');
      for (const view of ['user_edits', 'longest', 'wiki_edits', 'recent_users'])
        assert.match(note, new RegExp(`"${view}" recomputed from ${events.length} retained events`));
      assert.doesNotMatch(note, /"counter"/, 'an edit of comments and spacing changes nothing');
      assert.match(
        lines[0] ?? '',
        /^recomputing "user_edits", "longest", "wiki_edits", "recent_users" from 2,476 retained events$/,
      );
      const progress = lines.filter((l) => / events \(\d+%\)/.test(l));
      assert.ok(progress.length > 10, `progress lines: ${lines.length}`);
      assert.match(
        progress[0] ?? '',
        /^recomputing .*: [\d,]+ \/ 2,476 events \(\d+%\), [\d,]+ events\/s, about .+ left$/,
      );
      assert.equal(await changed.resumePosition('test'), String(events.length));
      wikiEdits = await contents(changed, 'wiki_edits');
    } finally {
      await changed.close();
      await baseline.close();
    }

    // Started again with the same file: nothing to recompute, the same contents.
    const again = await open(afterFile, dataDir, clock);
    try {
      assert.deepEqual(again.notes, []);
      assert.deepEqual(await contents(again, 'wiki_edits'), wikiEdits);
    } finally {
      await again.close();
    }
  });

  it('replays a change source exactly: several tables, retractions included', async () => {
    const tables = `CREATE TABLE orders (id bigint, customer text, amount bigint);
CREATE TABLE customers (name text, country text);
`;
    const first = writeViews(`${tables}CREATE VIEW total AS SELECT sum(amount) AS s FROM orders;\n`, fresh());
    const second = writeViews(
      `${tables}CREATE VIEW total AS SELECT sum(amount) AS s FROM orders;
CREATE VIEW per_customer AS SELECT customer, count(*) AS n, sum(amount) AS s FROM orders GROUP BY customer;
CREATE VIEW per_country AS SELECT country, count(*) AS n FROM customers GROUP BY country;
`,
      fresh(),
    );
    const order = (id: number, customer: string, amount: number) => ({ id, customer, amount });
    const transactions = [
      [
        { table: 'customers', row: { name: 'ann', country: 'NO' }, diff: 1 },
        { table: 'customers', row: { name: 'bob', country: 'SE' }, diff: 1 },
        { table: 'orders', row: order(1, 'ann', 10), diff: 1 },
        { table: 'orders', row: order(2, 'bob', 20), diff: 1 },
      ],
      // An update (a retraction and an insertion) and a delete.
      [
        { table: 'orders', row: order(1, 'ann', 10), diff: -1 },
        { table: 'orders', row: order(1, 'ann', 15), diff: 1 },
        { table: 'customers', row: { name: 'bob', country: 'SE' }, diff: -1 },
        { table: 'customers', row: { name: 'bob', country: 'DK' }, diff: 1 },
      ],
      [{ table: 'orders', row: order(2, 'bob', 20), diff: -1 }],
    ];
    const run = async (views: string, dataDir: string) => {
      const clock = manualClock(start);
      const engine = await open(views, dataDir, clock);
      for (const [i, changes] of transactions.entries()) {
        clock.advance(1000);
        await engine.ingestChanges(changes, { pg: String(i) });
      }
      return engine;
    };
    const dataDir = join(fresh(), 'data');
    await (await run(first, dataDir)).close();
    const changed = await open(second, dataDir, manualClock(start + 10_000));
    const baseline = await run(second, join(fresh(), 'data'));
    try {
      for (const view of ['total', 'per_customer', 'per_country'])
        assert.deepEqual(await contents(changed, view), await contents(baseline, view), `view ${view}`);
      assert.deepEqual(await contents(changed, 'per_customer'), [[['ann', 1, '15'], 1]]);
      assert.deepEqual(await contents(changed, 'per_country'), [
        [['DK', 1], 1],
        [['NO', 1], 1],
      ]);
    } finally {
      await changed.close();
      await baseline.close();
    }
  });
});
