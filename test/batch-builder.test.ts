import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SubscribeRow } from '../src/engine/types.js';
import { BatchBuilder, type Batch } from '../src/hub/batch-builder.js';
import { toStreamMessage } from '../src/hub/wire.js';

function collect(rows: SubscribeRow[][]): Batch[] {
  const batches: Batch[] = [];
  const builder = new BatchBuilder((b) => batches.push(b));
  for (const chunk of rows) builder.push(chunk);
  return batches;
}

const data = (timestamp: number, diff: number, row: unknown[]): SubscribeRow => ({
  progressed: false,
  timestamp,
  diff,
  row,
});
const progress = (timestamp: number): SubscribeRow => ({ progressed: true, timestamp });

describe('rows -> batches', { timeout: 120_000 }, () => {
  it('buffers rows until a progress row and emits them as one batch valid just before it', () => {
    const batches = collect([
      [progress(100), data(100, 1, ['a', 1]), data(100, 1, ['b', 1])],
      [progress(101)],
      [data(105, -1, ['a', 1]), data(105, 1, ['a', 2])],
      [progress(106)],
    ]);
    assert.deepEqual(batches, [
      {
        timestamp: 100,
        changes: [
          [['a', 1], 1],
          [['b', 1], 1],
        ],
      },
      {
        timestamp: 105,
        changes: [
          [['a', 1], -1],
          [['a', 2], 1],
        ],
      },
    ]);
  });

  it('consolidates a row inserted and deleted before the same progress row away', () => {
    const batches = collect([
      [progress(1), progress(2), data(2, 1, ['x']), data(2, -1, ['x']), data(2, 2, ['y']), progress(3)],
    ]);
    assert.deepEqual(batches, [
      { timestamp: 1, changes: [] },
      { timestamp: 2, changes: [[['y'], 2]] },
    ]);
  });

  it('emits an empty batch on a progress row without data, so views advance together', () => {
    const batches = collect([[progress(1), data(1, 1, [null]), progress(2), progress(7)]]);
    assert.deepEqual(
      batches.map((b) => [b.timestamp, b.changes.length]),
      [
        [1, 1],
        [6, 0],
      ],
    );
  });

  it('ignores progress rows that do not move forward', () => {
    const batches = collect([[progress(5), data(5, 1, ['a']), progress(6), progress(6), progress(4)]]);
    assert.equal(batches.length, 1);
  });
});

describe('batch -> stream message', { timeout: 120_000 }, () => {
  it('repeats a row by its diff: +2 appears twice in inserted, -2 twice in deleted', () => {
    assert.deepEqual(
      toStreamMessage(
        [
          [['a', 1], 2],
          [['b', null], -2],
        ],
        42,
      ),
      {
        inserted: [
          ['a', 1],
          ['a', 1],
        ],
        deleted: [
          ['b', null],
          ['b', null],
        ],
        timestamp: 42,
      },
    );
  });
});
