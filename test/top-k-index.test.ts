/**
 * Top-k with its ordered part (the head) made tiny, so that nearly every change crosses it: entries
 * move to the hash map past the head's end and come back when the window runs short. Whatever the
 * moves, its changes and contents must be those of a top-k that keeps everything in order, after
 * every transaction and after a restart from its stored entries.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { RowChange } from '../src/engine/delta/batch.js';
import { memoryStateStore, NO_STORE } from '../src/engine/delta/memory-store.js';
import { TopK, type TopKSpec } from '../src/engine/delta/top-k.js';
import { fuzz } from './support/fuzz.js';

const EVERYTHING_IN_ORDER = 1_000_000;

type Change = [n: number | null, name: string, diff: number];

function spec(limit: number, offset: number, descending: boolean): TopKSpec {
  return {
    keys: [{ column: 0, type: 'bigint', descending, nullsFirst: false }],
    types: ['bigint', 'text'],
    visible: 2,
    limit,
    offset,
  };
}

function normal(rows: RowChange[]): string[] {
  return rows.map(([row, diff]) => JSON.stringify([row, diff])).sort();
}

const change: fc.Arbitrary<Change> = fc.tuple(
  fc.option(fc.integer({ min: 0, max: 12 }), { nil: null, freq: 8 }),
  fc.constantFrom('a', 'b', 'c', 'd'),
  fc.constantFrom(1, 1, 2, -1),
);

describe('top-k with a small ordered part', { timeout: 60_000 }, () => {
  it('gives the changes and contents of a top-k that orders everything, also after a restart', () => {
    const property = fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 0, max: 3 }),
      fc.boolean(),
      fc.integer({ min: 1, max: 3 }),
      fc.array(fc.array(change, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 12 }),
      (limit, offset, descending, headSize, transactions) => {
        const s = spec(limit, offset, descending);
        const store = memoryStateStore();
        let split = new TopK('t/top-k', s, store, headSize);
        const whole = new TopK('t/top-k', s, NO_STORE, EVERYTHING_IN_ORDER);
        // Counts never go below zero over a whole transaction, as upstream operators guarantee.
        const present = new Map<string, number>();
        for (const [i, tx] of transactions.entries()) {
          const rows: RowChange[] = [];
          for (const [n, name, diff] of tx) {
            const key = JSON.stringify([n, name]);
            const held = present.get(key) ?? 0;
            const d = Math.max(diff, -held);
            if (d === 0) continue;
            present.set(key, held + d);
            rows.push([[n, name], d]);
          }
          const ctx = { timestamp: i + 1 };
          const got = split.apply({ rows, errors: [] }, ctx).rows;
          const want = whole.apply({ rows, errors: [] }, ctx).rows;
          assert.deepEqual(normal(got), normal(want), `changes of transaction ${i + 1}`);
          assert.deepEqual(normal([...split.contents()]), normal([...whole.contents()]));
          if (i % 2 === 0) continue;
          split = new TopK('t/top-k', s, store, headSize);
          assert.deepEqual(normal([...split.contents()]), normal([...whole.contents()]), 'after restart');
        }
      },
    );
    fc.assert(property, fuzz(500));
  });
});
