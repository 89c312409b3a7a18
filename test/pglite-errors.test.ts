/**
 * Errors are data on the PGlite path (`--pglite-only`) too: a view whose evaluation fails on its
 * input (`100 / (3 - count(*))` at count 3) is in error while the aggregate has that value, the view
 * built on it is in error too, the other views and ingest go on, and a restart on a data directory
 * whose input makes the view fail starts with the view in error instead of refusing to start. Real
 * engine, real PGlite worker, real LMDB.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { EmbeddedEngine } from '../src/engine/embedded/engine.js';
import type { SubscribeRow } from '../src/engine/types.js';
import { Recorder, startEngine, tempDir, writeViews } from './support/engine.js';

const VIEWS = `CREATE TABLE recentchanges ("user" text, wiki text);
CREATE VIEW counter AS SELECT count(*) AS n FROM recentchanges;
CREATE VIEW bad AS SELECT 100 / (3 - count(*)) AS x FROM recentchanges;
CREATE VIEW on_bad AS SELECT x + 1 AS y FROM bad;`;

type ErrorRow = Extract<SubscribeRow, { errors: unknown }>;

/** The error lists the subscription delivered, in order (an empty list: recovered). */
function errorLists(recorder: Recorder): string[][] {
  return recorder.rows
    .filter((r): r is ErrorRow => !r.progressed && 'errors' in r)
    .map((r) => r.errors.map((e) => `${e.view}: ${e.sqlstate} ${e.message}`));
}

describe('errors are data on the PGlite path', { timeout: 240_000 }, () => {
  const dir = tempDir();
  const dataDir = join(dir, 'data');
  const file = writeViews(VIEWS, dir);
  let engine: EmbeddedEngine | null = null;
  after(async () => {
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts a view in error only while its aggregate makes it fail; the others and ingest go on', async () => {
    engine = await startEngine(file, { dataDir, pgliteOnly: true });
    const counter = new Recorder(engine, 'counter');
    const bad = new Recorder(engine, 'bad');
    const onBad = new Recorder(engine, 'on_bad');
    await engine.ingest([{ user: 'a' }, { user: 'b' }], { test: '2' });
    const atThree = await engine.ingest([{ user: 'c' }], { test: '3' });
    await Promise.all([counter, bad, onBad].map((r) => r.reach(atThree)));
    assert.deepEqual(counter.stateAt(atThree), [[[3], 1]]);
    assert.deepEqual(errorLists(bad), [['bad: 22012 division by zero']]);
    assert.equal(errorLists(onBad).length, 1, 'a view built on a view in error is in error too');
    assert.deepEqual(bad.stateAt(atThree), [[[100], 1]], 'no changes while in error (the rows of count 2)');

    const atFour = await engine.ingest([{ user: 'd' }], { test: '4' });
    await Promise.all([counter, bad, onBad].map((r) => r.reach(atFour)));
    assert.deepEqual(errorLists(bad), [['bad: 22012 division by zero'], []], 'recovered');
    assert.deepEqual(bad.stateAt(atFour), [[[-100], 1]]);
    assert.deepEqual(onBad.stateAt(atFour), [[[-99], 1]]);
    assert.deepEqual(counter.stateAt(atFour), [[[4], 1]]);
  });

  it('starts on a data directory whose input makes a view fail, with the view in error', async () => {
    await engine?.close();
    engine = null;
    const fresh = join(dir, 'data-3');
    const first = await startEngine(file, { dataDir: fresh, pgliteOnly: true });
    await first.ingest([{ user: 'a' }, { user: 'b' }, { user: 'c' }], { test: '3' });
    await first.close();
    engine = await startEngine(file, { dataDir: fresh, pgliteOnly: true });
    const bad = new Recorder(engine, 'bad');
    const counter = new Recorder(engine, 'counter');
    await Promise.all([bad, counter].map((r) => r.reach(engine?.timestamp ?? 0)));
    assert.deepEqual(errorLists(bad), [['bad: 22012 division by zero']]);
    assert.deepEqual(counter.stateAt(engine.timestamp), [[[3], 1]]);
  });
});
