/**
 * A view's retention log keeps each batch as its serialized fragment once the batch's moment is
 * out (published-batch.ts): what it serves from there (replays, catch-up diffs, AS OF) must be the
 * very changes that were published, for any values a row may hold (exact big integers, text with
 * escapes, floats, nulls, JSON objects) and any diffs. The fragment is made only when first read,
 * and its size counted before: the log's byte limit must count exactly its encoded bytes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { consolidate, rowKey, type Change, type Row } from '../src/core/multiset.js';
import { ViewChannel } from '../src/hub/view-channel.js';
import { changesFragment } from '../src/hub/wire.js';
import { fuzz } from './support/fuzz.js';

const value = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.integer(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).filter((n) => !Number.isSafeInteger(Number(n))),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)),
  fc.boolean(),
  fc.constant(null),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
);
const row = fc.array(value, { minLength: 1, maxLength: 3 });
const diff = fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: -3, max: -1 }));
/** A batch as an engine sends it: consolidated, one entry per distinct row. */
const batch = fc
  .array(fc.tuple(row, diff), { maxLength: 12 })
  .map((changes) => consolidate(changes as Change[]));

/** A batch's changes by row text, to compare them whatever their order. */
function byText(changes: Change[]): Map<string, number> {
  return new Map(changes.map(([r, d]) => [rowKey(r), d]));
}

describe('retained batches', { timeout: 60_000 }, () => {
  it('serve exactly the changes that were published', () => {
    fc.assert(
      fc.property(fc.array(batch, { minLength: 1, maxLength: 8 }), (batches) => {
        const channel = new ViewChannel({ name: 'v', columns: [{ name: 'a', type: 'text' }] });
        channel.apply({ timestamp: 100, changes: [] });
        const sent = batches.map((changes, i) => ({ timestamp: 101 + i, changes }));
        for (const b of sent) channel.apply({ timestamp: b.timestamp, changes: b.changes.slice() });
        const retainedBytes = sent
          .filter((b) => b.changes.length > 0)
          .reduce((sum, b) => sum + Buffer.byteLength(changesFragment(b.changes)), 0);
        assert.equal(channel.retained?.bytes, retainedBytes);
        for (let since = 100; since <= 100 + sent.length; since++) {
          const replay = channel.replayFrom(since);
          assert.equal(replay.kind, 'batches');
          if (replay.kind !== 'batches') return;
          const expected = sent.filter((b) => b.timestamp > since && b.changes.length > 0);
          assert.deepEqual(
            replay.batches.map((b) => [b.timestamp, b.bytes, byText(b.changes), b.fragment]),
            expected.map((b) => {
              const fragment = changesFragment(b.changes);
              return [b.timestamp, Buffer.byteLength(fragment), byText(b.changes), fragment];
            }),
          );
          const plan = channel.catchUp(since);
          const net = consolidate(expected.flatMap((b) => b.changes));
          if (plan.kind === 'diff') assert.deepEqual(byText(plan.changes), byText(net));
          else if (plan.kind === 'current') assert.equal(net.length, 0);
        }
      }),
      fuzz(200),
    );
  });

  it('read big integers back exactly, as BigInts', () => {
    const channel = new ViewChannel({ name: 'v', columns: [{ name: 'a', type: 'bigint' }] });
    channel.apply({ timestamp: 1, changes: [] });
    const big: Row = [2n ** 64n + 1n, 'x'];
    channel.apply({ timestamp: 2, changes: [[big, 2]] });
    channel.apply({ timestamp: 3, changes: [[['y'], 1]] });
    const replay = channel.replayFrom(1);
    assert.equal(replay.kind, 'batches');
    if (replay.kind === 'batches') assert.deepEqual(replay.batches[0]?.changes, [[big, 2]]);
  });
});
