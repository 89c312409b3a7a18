import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { consolidate, difference, Multiset } from '../src/core/multiset.js';
import { LiveView } from '../src/client/live-view.js';

describe('multiset', { timeout: 120_000 }, () => {
  it('applies diffs of any size: +2 then -2 leaves nothing', () => {
    const rows = new Multiset();
    rows.apply(['alice', 3], 2);
    assert.deepEqual(rows.rows(), [
      ['alice', 3],
      ['alice', 3],
    ]);
    rows.apply(['alice', 3], -2);
    assert.equal(rows.size, 0);
    assert.deepEqual(rows.rows(), []);
  });

  it('matches rows by value, not by object identity', () => {
    const rows = new Multiset();
    rows.apply(['bob', 1], 1);
    rows.apply(['bob', 1], -1); // a different array with the same values
    assert.equal(rows.size, 0);
  });

  it('keeps NULL values apart from strings and numbers', () => {
    const rows = new Multiset();
    rows.apply([null, 5], 1);
    rows.apply(['null', 5], 1);
    rows.apply([null, 5], 1);
    assert.equal(rows.count([null, 5]), 2);
    assert.equal(rows.count(['null', 5]), 1);
    rows.apply([null, 5], -1);
    assert.equal(rows.count([null, 5]), 1);
  });

  it('reports a retraction of a row it never held as invalid', () => {
    const rows = new Multiset();
    rows.apply(['ghost', 1], -1);
    assert.equal(rows.valid, false);
  });
});

describe('consolidate', { timeout: 120_000 }, () => {
  it('cancels a row inserted and deleted in the same batch', () => {
    assert.deepEqual(
      consolidate([
        [['carol', 7], 1],
        [['dave', 2], 1],
        [['carol', 7], -1],
      ]),
      [[['dave', 2], 1]],
    );
  });

  it('sums the diffs of equal rows', () => {
    assert.deepEqual(
      consolidate([
        [['x', null], 1],
        [['x', null], 1],
        [['y', 1], -1],
        [['y', 1], -2],
      ]),
      [
        [['x', null], 2],
        [['y', 1], -3],
      ],
    );
  });
});

describe('difference', { timeout: 120_000 }, () => {
  it('gives the changes that turn one result into another, duplicates included', () => {
    const before = new Multiset();
    before.apply(['a', 1], 2);
    before.apply(['b', 1], 1);
    const after = new Multiset();
    after.apply(['a', 1], 1);
    after.apply(['c', 1], 1);
    const changes = difference(before, after);
    before.applyAll(changes);
    assert.deepEqual(before.rows().sort(), after.rows().sort());
    assert.equal(changes.length, 3);
  });
});

describe('LiveView (browser client state)', { timeout: 120_000 }, () => {
  it('treats the first message as the whole state and then applies batches as multiset changes', () => {
    const view = new LiveView();
    view.apply({
      inserted: [
        ['alice', 2],
        ['bob', 1],
        ['bob', 1],
      ],
      deleted: [],
      timestamp: 10,
    });
    view.apply({
      inserted: [['alice', 3]],
      deleted: [
        ['alice', 2],
        ['bob', 1],
      ],
      timestamp: 11,
    });
    assert.deepEqual(view.rows.rows().sort(), [
      ['alice', 3],
      ['bob', 1],
    ]);
    assert.equal(view.timestamp, 11);
  });

  it('takes a batch that only deletes (no inserted rows)', () => {
    const view = new LiveView();
    view.apply({ inserted: [[5]], deleted: [], timestamp: 1 });
    view.apply({ inserted: [], deleted: [[5]], timestamp: 2 });
    assert.equal(view.rows.size, 0);
  });
});
