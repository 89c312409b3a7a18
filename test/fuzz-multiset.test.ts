/**
 * Property tests of the multiset laws everything downstream relies on: consolidation keeps the
 * meaning of a list of changes whatever its order or grouping; a difference turns one state into
 * the other; SUBSCRIBE rows become the same batches however they are chunked; the wire format and
 * the client's view apply a batch exactly as the server's multiset does.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LiveView } from '../src/client/live-view.js';
import { consolidate, difference, Multiset, rowKey, type Change } from '../src/core/multiset.js';
import type { SubscribeRow } from '../src/engine/types.js';
import { BatchBuilder, type Batch } from '../src/hub/batch-builder.js';
import { toStreamMessage } from '../src/hub/wire.js';
import { fuzz } from './support/fuzz.js';

/** A small domain of values, so that equal rows (built as different arrays) occur often. */
const value = fc.constantFrom<unknown>('alice', 'bob', '', 'null', null, 0, 1, 2, true, false, 1.5);
const row = fc.array(value, { minLength: 1, maxLength: 2 });
const diff = fc.integer({ min: -3, max: 3 }).filter((d) => d !== 0);
const change: fc.Arbitrary<Change> = fc.tuple(row, diff);
const changes = fc.array(change, { maxLength: 30 });

/** Distinct rows with their net counts, sorted: the meaning of a list of changes. */
function net(list: Iterable<Change>): Array<[string, number]> {
  const sums = new Map<string, number>();
  for (const [r, d] of list) sums.set(rowKey(r), (sums.get(rowKey(r)) ?? 0) + d);
  return [...sums].filter(([, d]) => d !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function multisetOf(list: Iterable<Change>): Multiset {
  const m = new Multiset();
  m.applyAll(list);
  return m;
}

/** A state that only ever has non-negative counts: the changes' net, clamped. */
const state = changes.map((list) => {
  const m = new Multiset();
  for (const [r, count] of net(list).map(([k, d]) => [JSON.parse(k) as unknown[], Math.abs(d)] as const))
    m.apply(r, count);
  return m;
});

describe('multiset laws', { timeout: 120_000 }, () => {
  it('consolidate keeps the net effect, leaves one entry per row and no zero diffs', () => {
    fc.assert(
      fc.property(changes, (list) => {
        const out = consolidate(list);
        assert.deepEqual(net(out), net(list));
        assert.equal(new Set(out.map(([r]) => rowKey(r))).size, out.length);
        assert.ok(out.every(([, d]) => d !== 0));
        assert.deepEqual(consolidate(out), out);
      }),
      fuzz(500),
    );
  });

  it('consolidate does not depend on order or on grouping', () => {
    fc.assert(
      fc.property(changes, fc.nat(), (list, cut) => {
        const at = list.length === 0 ? 0 : cut % (list.length + 1);
        const grouped = [...consolidate(list.slice(0, at)), ...consolidate(list.slice(at))];
        assert.deepEqual(net(consolidate(grouped)), net(consolidate(list)));
        assert.deepEqual(net(consolidate([...list].reverse())), net(list));
      }),
      fuzz(500),
    );
  });

  it('applying changes one by one or consolidated gives the same multiset; undoing them empties it', () => {
    fc.assert(
      fc.property(changes, (list) => {
        const one = multisetOf(list);
        const two = multisetOf(consolidate(list));
        assert.deepEqual(net(one.counted()), net(two.counted()));
        assert.equal(
          one.size,
          list.reduce((sum, [, d]) => sum + d, 0),
        );
        one.applyAll(list.map(([r, d]): Change => [[...r], -d]));
        assert.equal(one.size, 0);
        assert.equal(one.distinct, 0);
      }),
      fuzz(500),
    );
  });

  it('difference(before, after) turns before into after', () => {
    fc.assert(
      fc.property(state, state, (before, after) => {
        const patched = multisetOf(before.counted());
        patched.applyAll(difference(before, after));
        assert.deepEqual(net(patched.counted()), net(after.counted()));
        assert.ok(patched.valid);
      }),
      fuzz(400),
    );
  });

  it('a stream message applied by the client equals the batch applied by the server', () => {
    fc.assert(
      fc.property(state, state, (before, after) => {
        const client = new LiveView();
        client.apply(toStreamMessage(before.counted(), 1));
        client.apply(toStreamMessage(difference(before, after), 2));
        assert.deepEqual(net(client.rows.counted()), net(after.counted()));
        assert.equal(client.timestamp, 2);
        assert.ok(client.rows.valid);
      }),
      fuzz(400),
    );
  });
});

/** Transactions as SUBSCRIBE rows: a progress row first, then each transaction's rows and its progress. */
function subscribeRows(transactions: Change[][], start: number): SubscribeRow[] {
  const rows: SubscribeRow[] = [{ progressed: true, timestamp: start }];
  transactions.forEach((txn, i) => {
    const timestamp = start + i * 2;
    for (const [r, d] of txn) rows.push({ progressed: false, timestamp, diff: d, row: r });
    rows.push({ progressed: true, timestamp: timestamp + 1 });
    // A repeated or older progress row must change nothing.
    if (i % 3 === 1) rows.push({ progressed: true, timestamp });
  });
  return rows;
}

function chunked<T>(items: T[], cuts: number[]): T[][] {
  const points = [...new Set(cuts.map((c) => c % (items.length + 1)))].sort((a, b) => a - b);
  const out: T[][] = [];
  let from = 0;
  for (const p of [...points, items.length]) {
    out.push(items.slice(from, p));
    from = p;
  }
  return out;
}

describe('SUBSCRIBE rows -> batches', { timeout: 120_000 }, () => {
  it('gives one consolidated batch per transaction, however the rows are chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(change, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        (transactions, cuts, start) => {
          const rows = subscribeRows(transactions, start);
          const batches: Batch[] = [];
          const builder = new BatchBuilder((b) => batches.push(b));
          for (const chunk of chunked(rows, cuts)) builder.push(chunk);
          assert.deepEqual(
            batches.map((b) => b.timestamp),
            transactions.map((_, i) => start + i * 2),
          );
          batches.forEach((b, i) => assert.deepEqual(net(b.changes), net(transactions[i] ?? [])));
          for (const b of batches) assert.deepEqual(consolidate(b.changes), b.changes);
        },
      ),
      fuzz(400),
    );
  });
});
