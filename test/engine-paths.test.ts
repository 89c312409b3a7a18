/**
 * The two paths of the embedded engine: a view the delta path cannot run (a join, a window
 * function) runs on PGlite, with its reason, beside delta views and at the same timestamps; the
 * --pglite-only flag puts every view on PGlite with the same results; a PGlite worker that dies
 * fails the engine at once with the reason; integers beyond 2^53 come out the same on both paths.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { EmbeddedEngine } from '../src/engine/embedded/engine.js';
import { recordMapper } from '../src/ingest/records.js';
import { Recorder, startEngine, writeViews } from './support/engine.js';
import { groundTruth2476, projectRoot, recording, RECORDING_2476 } from './support/shared-data.js';

const VIEWS = `
CREATE TABLE recentchanges ("user" text, wiki text, length_new bigint, bot boolean);
CREATE TABLE wikis (wiki text, language text);
CREATE MATERIALIZED VIEW per_user AS SELECT "user", count(*) AS n FROM recentchanges GROUP BY "user";
CREATE MATERIALIZED VIEW total_length AS SELECT sum(length_new) AS total FROM recentchanges;
-- A window function: not a delta-path shape.
CREATE MATERIALIZED VIEW ranked AS
  SELECT "user", n, rank() OVER (ORDER BY n DESC) AS place FROM per_user;
`;

const BATCHES = [
  [
    { user: 'ann', length_new: 10 },
    { user: 'bob', length_new: 2 ** 62 },
  ],
  [
    { user: 'ann', length_new: 2 ** 62 },
    { user: 'cy', length_new: null },
  ],
];

async function run(engine: EmbeddedEngine): Promise<Record<string, Recorder>> {
  const streams: Record<string, Recorder> = {};
  for (const view of ['per_user', 'total_length', 'ranked']) streams[view] = new Recorder(engine, view);
  await Promise.all(Object.values(streams).map((s) => s.when((r) => r.frontier >= 0)));
  let last = 0;
  for (const batch of BATCHES) last = await engine.ingest(batch, {});
  await Promise.all(Object.values(streams).map((s) => s.reach(last)));
  return streams;
}

describe('embedded engine: delta and PGlite paths', { timeout: 120_000 }, () => {
  let mixed: EmbeddedEngine;
  let pgliteOnly: EmbeddedEngine;
  let mixedStreams: Record<string, Recorder>;
  let pgliteStreams: Record<string, Recorder>;

  before(async () => {
    const file = writeViews(VIEWS);
    mixed = await startEngine(file);
    mixedStreams = await run(mixed);
    pgliteOnly = await startEngine(file, { pgliteOnly: true });
    pgliteStreams = await run(pgliteOnly);
  });

  after(async () => {
    await mixed?.close();
    await pgliteOnly?.close();
  });

  it('runs a window function on PGlite with the reason, and every other view on the delta path', () => {
    assert.deepEqual(
      mixed.views.map((v) => [v.name, v.path]),
      [
        ['per_user', 'delta'],
        ['total_length', 'delta'],
        ['ranked', 'pglite'],
      ],
    );
    assert.match(mixed.views[2]?.reason ?? '', /window/i);
    assert.equal(mixed.pgliteLoaded, true);
  });

  it('puts every view on PGlite with --pglite-only', () => {
    assert.deepEqual(
      pgliteOnly.views.map((v) => v.path),
      ['pglite', 'pglite', 'pglite'],
    );
  });

  it('gives the same contents on both paths, at the same timestamps for every view', () => {
    for (const view of ['per_user', 'total_length', 'ranked']) {
      const a = mixedStreams[view] as Recorder;
      const b = pgliteStreams[view] as Recorder;
      assert.deepEqual(a.stateAt(a.frontier), b.stateAt(b.frontier), view);
    }
    // An event's 2^62 reads as the digits JavaScript prints for it (4611686018427388000); twice that
    // plus 10 is beyond bigint: an exact numeric, sent as digits, the same on both paths.
    const total = mixedStreams['total_length'] as Recorder;
    assert.deepEqual(total.stateAt(total.frontier), [[['9223372036854776010'], 1]]);
    const stamps = Object.values(mixedStreams).map((s) => s.dataTimestamps.slice(-2));
    for (const other of stamps.slice(1)) assert.deepEqual(other, stamps[0]);
  });

  it('fails the engine at once, with the reason, when its PGlite worker dies', async () => {
    let failed!: (error: Error) => void;
    const failure = new Promise<Error>((resolve) => (failed = resolve));
    const engine = await startEngine(writeViews(VIEWS), { onFailure: (error) => failed(error) });
    try {
      // What an abort inside PGlite looks like from the main thread: the worker thread is gone.
      const worker = (
        engine as unknown as { pglite: { worker: { worker: { terminate(): Promise<number> } } } }
      ).pglite.worker.worker;
      await worker.terminate();
      assert.match((await failure).message, /the PGlite worker exited unexpectedly/);
      await assert.rejects(engine.ingest([{ user: 'ann' }], {}), /the PGlite worker exited unexpectedly/);
    } finally {
      await engine.close();
    }
  });
});

describe('the 2,476-event recording on both paths', { timeout: 180_000 }, () => {
  for (const pgliteOnly of [false, true]) {
    it(`gives the documented counts ${pgliteOnly ? 'with every view on PGlite' : 'on the delta path'}`, async () => {
      const engine = await startEngine(`${projectRoot}views/wikirecent.sql`, { pgliteOnly });
      try {
        const map = recordMapper(engine.inputColumns);
        const records = readFileSync(recording(RECORDING_2476), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => map(JSON.parse(line) as Record<string, unknown>));
        const counter = new Recorder(engine, 'counter');
        const top10 = new Recorder(engine, 'top10');
        let last = 0;
        for (let i = 0; i < records.length; i += 500)
          last = await engine.ingest(records.slice(i, i + 500), {});
        await Promise.all([counter.reach(last), top10.reach(last)]);
        assert.deepEqual(counter.stateAt(last), [[[2476], 1]]);
        const expected = groundTruth2476()
          .slice(0, 10)
          .map(([user, n]): [unknown[], number] => [[user, n], 1]);
        assert.deepEqual(
          top10.stateAt(last),
          expected.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
        );
      } finally {
        await engine.close();
      }
    });
  }
});
