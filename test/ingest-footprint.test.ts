/**
 * What the ingest path keeps less of, checked to change nothing a user sees: a looping replay's
 * later passes (their texts, with fresh ids, retained and recomputed from as a run from the start
 * gives), the positions the pipeline commits (each batch's last one per source), the retained
 * log's framing without a copy, and counts in progress lines grouped without the locale machinery.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { countText } from '../src/core/count-text.js';
import { selectionOf } from '../src/core/json-fields.js';
import type { EmbeddedEngine } from '../src/engine/embedded/engine.js';
import { frame, unframe } from '../src/engine/store/retained-format.js';
import { frameAlone } from '../src/engine/store/retained-frame.js';
import type { ArrivedEvent, IngestingEngine, InputRecord } from '../src/engine/types.js';
import { IngestPipeline } from '../src/ingest/pipeline.js';
import { metaId } from '../src/sources/event-schema.js';
import { ReplaySource } from '../src/sources/replay.js';
import { startEngine, suiteTempDirs, writeViews } from './support/engine.js';
import { fuzz } from './support/fuzz.js';
import { contents, TABLE } from './support/retained-feed.js';
import { recording } from './support/shared-data.js';

const OLD_100 = 'recentchange-2023-07-29-enwiki-100.jsonl';
const BEFORE = `${TABLE}
CREATE VIEW user_edits AS SELECT "user", count(*) AS n FROM recentchanges GROUP BY "user";
`;
/** Reads meta.id, which later passes renew: the retained texts must carry the new ids. */
const AFTER = `${BEFORE}
CREATE VIEW ids AS SELECT meta_id, count(*) AS n, max(title) AS title FROM recentchanges GROUP BY meta_id;
`;

/** Replays the 100-event recording in a loop through the pipeline until `events` were pushed. */
async function loopInto(engine: EmbeddedEngine, events: number): Promise<void> {
  const pipeline = new IngestPipeline(engine, {
    batchSize: 64,
    batchMs: 0,
    onError: (error) => {
      throw error;
    },
  });
  const source = new ReplaySource({ file: recording(OLD_100), speed: 'max', loop: true });
  const sink = pipeline.sinkFor(source.id);
  let pushed = 0;
  await source.run(
    {
      ...sink,
      push: (event, position, text) => {
        if (++pushed === events) source.stop();
        return sink.push(event, position, text);
      },
    },
    null,
  );
  await pipeline.drain();
  assert.equal(pipeline.applied, events);
}

/** An engine that records what each transaction was given, and commits on a later turn. */
class RecordingEngine implements Pick<IngestingEngine, 'inputColumns' | 'ingest'> {
  readonly inputColumns = [{ name: 'n', type: 'bigint' }];
  readonly positions: Array<Record<string, string>> = [];
  readonly sizes: number[] = [];
  ingest(
    records: InputRecord[],
    positions: Record<string, string>,
    _events?: ArrivedEvent[],
  ): Promise<number> {
    this.positions.push({ ...positions });
    this.sizes.push(records.length);
    return new Promise((resolve) => setImmediate(() => resolve(this.positions.length)));
  }
}

describe('ingest: less kept, nothing changed', { timeout: 120_000 }, () => {
  const fresh = suiteTempDirs();

  it('retains later passes of a looping replay as texts with their fresh ids', async () => {
    const dataDir = join(fresh(), 'data');
    const first = await startEngine(writeViews(BEFORE, fresh()), { dataDir, tickMs: 0 });
    assert.deepEqual(
      first.inputColumns.map((c) => c.name),
      ['user'],
      'the replay decodes only what the views read, so later passes renew the id in the text',
    );
    await loopInto(first, 250);
    await first.close();

    // An added view reading meta.id is recomputed from the retained log: as if it had been there.
    const afterFile = writeViews(AFTER, fresh());
    const changed = await startEngine(afterFile, { dataDir, tickMs: 0 });
    const baseline = await startEngine(afterFile, { tickMs: 0 });
    try {
      await loopInto(baseline, 250);
      const ids = await contents(changed, 'ids');
      assert.equal(ids.length, 250, 'every event of every pass has an id of its own');
      assert.ok(ids.every(([row, count]) => Number(row[1]) === 1 && count === 1));
      const titles = (rows: Array<[unknown[], number]>): unknown[] => rows.map(([row]) => row[2]).sort();
      assert.deepEqual(titles(ids), titles(await contents(baseline, 'ids')));
      assert.deepEqual(await contents(changed, 'user_edits'), await contents(baseline, 'user_edits'));
    } finally {
      await changed.close();
      await baseline.close();
    }
  });

  it('pushes later passes as the recorded text with only meta.id changed', async () => {
    const texts: Array<[string, string | undefined]> = [];
    const source = new ReplaySource({ file: recording(OLD_100), speed: 'max', loop: true });
    await source.run(
      {
        reads: selectionOf([['user']]),
        skip: () => undefined,
        push: (event, _position, text) => {
          texts.push([metaId(event) as string, text]);
          if (texts.length === 150) source.stop();
        },
      },
      null,
    );
    for (const [index, [id, text]] of texts.entries()) {
      assert.ok(text, `event ${index} pushed with its text`);
      const parsed = JSON.parse(text) as { meta: { id: string } };
      assert.equal(parsed.meta.id, id, `event ${index}: the text carries the event's id`);
      if (index < 100) continue;
      const [recordedId, recordedText] = texts[index - 100] as [string, string];
      assert.notEqual(id, recordedId);
      assert.equal(text, recordedText.replace(JSON.stringify(recordedId), JSON.stringify(id)));
    }
  });

  it("commits each batch's last position of each source, whatever the interleaving", async () => {
    const pushes = fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.boolean()), {
      minLength: 1,
      maxLength: 60,
    });
    await fc.assert(
      fc.asyncProperty(pushes, fc.integer({ min: 1, max: 7 }), async (events, batchSize) => {
        const engine = new RecordingEngine();
        const pipeline = new IngestPipeline(engine as unknown as IngestingEngine, {
          batchSize,
          batchMs: 0,
          onError: (error) => {
            throw error;
          },
        });
        const sinks = new Map(['a', 'b', 'c'].map((s) => [s, pipeline.sinkFor(s)]));
        // Pushed in one turn, so that the batches are cut at multiples of batchSize.
        const order = events.map(([source, positioned], i) => {
          void sinks.get(source)?.push({ n: i }, positioned ? `${source}${i}` : null);
          return [source, positioned ? `${source}${i}` : null] as const;
        });
        await pipeline.drain();
        const expected: Array<Record<string, string>> = [];
        for (let at = 0; at < order.length; at += batchSize) {
          const positions: Record<string, string> = {};
          for (const [source, position] of order.slice(at, at + batchSize))
            if (position !== null) positions[source] = position;
          expected.push(positions);
        }
        assert.deepEqual(engine.positions, expected);
      }),
      fuzz(200),
    );
  });

  it('frames a transaction alone as frame() does, and packs tail entries that later packs leave intact', () => {
    const packr = new Packr({ useBigIntExtension: true, useRecords: false } as never);
    // Text as sources decode it (two-byte and astral characters too), and parsed events.
    const entry = {
      e: ['{"user":"ann"}', { user: 'bob', n: 12n }, 'x'.repeat(70_000), 'Ελληνικά 日本 😀', ''],
    };
    const framed = Buffer.concat(frameAlone(42.5, entry));
    assert.deepEqual([...unframe(framed)], [[42.5, entry]]);
    // Pieces of many events each, cut between them.
    const many = { e: Array.from({ length: 3000 }, (_, i) => `{"i":${i},"t":"${'é'.repeat(i % 300)}"}`) };
    const pieces = frameAlone(1, many);
    assert.ok(pieces.length > 1);
    assert.deepEqual([...unframe(Buffer.concat(pieces))], [[1, many]]);
    assert.deepEqual([...unframe(frame([[42.5, packr.pack(entry)]]))], [[42.5, entry]]);
    const changes = { c: [{ table: 't', row: { a: 1 }, diff: -1 }] };
    assert.deepEqual(Buffer.concat(frameAlone(7, changes)), frame([[7, packr.pack(changes)]]));
  });

  it('groups counts as toLocaleString("en-US") does', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double({ min: -1e15, max: 1e15, noNaN: true })), (n) => {
        if (Object.is(Math.round(n), -0)) return;
        assert.equal(countText(n), Math.round(n).toLocaleString('en-US'));
      }),
      fuzz(500),
    );
    assert.equal(countText(1_002_612), '1,002,612');
  });
});
