/**
 * The embedded engine's in-process form of SUBSCRIBE (`subscribeBatches`, what the hub uses) hands
 * exactly the batches that batching its SUBSCRIBE rows at their progress rows gives: the snapshot,
 * then one consolidated batch per transaction with the view's errors when they change, on the delta
 * path and on PGlite, for subscribers that joined at the start and later, with and without snapshot.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { EmbeddedEngine } from '../src/engine/embedded/engine.js';
import type { SubscribeOptions, ViewBatch } from '../src/engine/types.js';
import { BatchBuilder } from '../src/hub/batch-builder.js';
import { startEngine, writeViews } from './support/engine.js';
import { fuzz } from './support/fuzz.js';

const VIEWS = `
CREATE TABLE recentchanges ("user" text, wiki text, length_new bigint);
CREATE MATERIALIZED VIEW counter AS SELECT count(*) AS n FROM recentchanges;
CREATE MATERIALIZED VIEW per_user AS SELECT "user", count(*) AS n FROM recentchanges GROUP BY "user";
CREATE MATERIALIZED VIEW wikis AS SELECT wiki FROM recentchanges WHERE wiki IS NOT NULL;
-- In error while some event has length_new = 0.
CREATE MATERIALIZED VIEW ratio AS SELECT "user", 100 / length_new AS r FROM recentchanges WHERE length_new IS NOT NULL;
-- A window function: PGlite's path.
CREATE MATERIALIZED VIEW ranked AS
  SELECT wiki, row_number() OVER (ORDER BY wiki) AS n FROM recentchanges WHERE wiki IS NOT NULL;
`;
const NAMES = ['counter', 'per_user', 'wikis', 'ratio', 'ranked'];
/** The delta-path views, for the property below (an engine without PGlite starts in milliseconds). */
const DELTA_VIEWS = VIEWS.slice(0, VIEWS.indexOf('-- A window function'));
const DELTA_NAMES = NAMES.slice(0, 4);

/** Both forms of one subscription, side by side. */
class Twins {
  readonly fromRows: ViewBatch[] = [];
  readonly batches: ViewBatch[] = [];

  constructor(engine: EmbeddedEngine, view: string, options: SubscribeOptions) {
    const builder = new BatchBuilder((batch) => this.fromRows.push(batch), engine.consolidated);
    engine.subscribe(view, options, (rows) => builder.push(rows));
    engine.subscribeBatches(view, options, (batch) => this.batches.push(batch));
  }
}

/** Events in transactions: names repeat (rows change and retract), one divides by zero. */
function transactions(): Array<Array<Record<string, unknown>>> {
  const out: Array<Array<Record<string, unknown>>> = [];
  for (let t = 0; t < 12; t++) {
    const events: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 1 + (t % 4); i++) {
      const n = t * 7 + i * 3;
      events.push({
        user: n % 5 === 0 ? null : `user-${n % 6}`,
        wiki: n % 3 === 0 ? null : `wiki-${n % 4}`,
        length_new: t === 4 && i === 0 ? 0 : n % 2 === 0 ? null : n,
      });
    }
    out.push(events);
  }
  return out;
}

describe('embedded engine: the batch form of SUBSCRIBE', { timeout: 120_000 }, () => {
  let engine: EmbeddedEngine;

  before(async () => {
    engine = await startEngine(writeViews(VIEWS), { tickMs: 0 });
  });

  after(async () => {
    await engine?.close();
  });

  it('runs the views on both paths', () => {
    assert.deepEqual(
      engine.views.map((v) => v.path),
      ['delta', 'delta', 'delta', 'delta', 'pglite'],
    );
  });

  it('hands the same batches as the rows batched at their progress rows', async () => {
    const early = NAMES.map((view) => new Twins(engine, view, { snapshot: true }));
    const all = transactions();
    const late: Twins[] = [];
    for (const [i, events] of all.entries()) {
      await engine.ingest(events, {});
      // The event that divides by zero is retracted again: the view recovers.
      if (i === 8) {
        const zero = all[4]?.[0] as Record<string, unknown>;
        await engine.ingestChanges([{ table: 'recentchanges', row: zero, diff: -1 }], {});
      }
      if (i === 5) {
        for (const view of NAMES) {
          late.push(new Twins(engine, view, { snapshot: true }));
          late.push(new Twins(engine, view, { snapshot: false }));
        }
      }
    }
    const last = await engine.ingest([{ user: 'last', wiki: 'wiki-9', length_new: 5 }], {});
    for (const twins of [...early, ...late]) {
      assert.equal(twins.batches.at(-1)?.timestamp, last);
      assert.deepEqual(twins.batches, twins.fromRows);
    }
    // The sequence went through errors and back: the batches carried both changes of the list.
    const ratio = (early[3] as Twins).batches.filter((b) => b.errors !== undefined);
    assert.deepEqual(
      ratio.map((b) => b.errors?.length),
      [1, 0],
    );
    // Every transaction reached every view's subscribers, changed or not.
    assert.equal((early[0] as Twins).batches.length, all.length + 3);
  });
});

/** One transaction: events to add, and earlier events (by index, wrapping) to retract. */
interface Step {
  events: Array<Record<string, unknown>>;
  retract: number[];
  /** Subscribe new twins (with and without snapshot) before this transaction. */
  join: boolean;
}

const event = fc.record({
  user: fc.oneof(fc.constant(null), fc.constantFrom('ann', 'bob', 'cé', '', 'user 4')),
  wiki: fc.oneof(fc.constant(null), fc.constantFrom('enwiki', 'dewiki', 'frwiki')),
  length_new: fc.oneof(fc.constant(null), fc.integer({ min: -3, max: 3 }), fc.constant(9007199254740993n)),
});
const steps = fc.array(
  fc.record({
    events: fc.array(event, { maxLength: 4 }),
    retract: fc.array(fc.nat(20), { maxLength: 2 }),
    join: fc.boolean(),
  }),
  { minLength: 1, maxLength: 12 },
);

describe('embedded engine: the batch form of SUBSCRIBE on random transactions', { timeout: 300_000 }, () => {
  it('hands the same batches as the rows, through duplicates, retractions, NULLs and errors', async () => {
    const views = writeViews(DELTA_VIEWS);
    const property = fc.asyncProperty(steps, async (plan: Step[]) => {
      const engine = await startEngine(views, { tickMs: 0 });
      try {
        const twins = DELTA_NAMES.map((view) => new Twins(engine, view, { snapshot: true }));
        const added: Array<Record<string, unknown>> = [];
        for (const step of plan) {
          if (step.join)
            for (const view of DELTA_NAMES)
              for (const snapshot of [true, false]) twins.push(new Twins(engine, view, { snapshot }));
          // Retract only what is there: each added event at most once.
          const retracted: Array<Record<string, unknown>> = [];
          for (const at of new Set(step.retract))
            if (added.length > 0) retracted.push(...added.splice(at % added.length, 1));
          const changes = [
            ...step.events.map((row) => ({ table: 'recentchanges', row, diff: 1 })),
            ...retracted.map((row) => ({ table: 'recentchanges', row, diff: -1 })),
          ];
          added.push(...step.events);
          await engine.ingestChanges(changes, {});
        }
        for (const twin of twins) assert.deepEqual(twin.batches, twin.fromRows);
      } finally {
        await engine.close();
      }
    });
    const details = await fc.check(property, fuzz(40));
    if (details.failed)
      assert.fail(
        `${String(details.errorInstance)}\n\ncounterexample: ${JSON.stringify(
          details.counterexample,
          (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v),
        )}\n(replay with FUZZ_SEED=${details.seed}, path ${details.counterexamplePath})`,
      );
  });
});
