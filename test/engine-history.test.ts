/**
 * The bounded history behind AS OF: rolled back exactly, and bounded by age, by transactions and by
 * changed rows, with `floor` always the oldest timestamp it can still answer for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommitHistory } from '../src/engine/embedded/history.js';
import type { CommitResult } from '../src/engine/embedded/protocol.js';

const commit = (timestamp: number, changes: Array<[unknown[], number]>): CommitResult => ({
  timestamp,
  views: [{ view: 'v', changes }],
});

describe('engine history for AS OF', () => {
  it('rolls the current state back to any kept timestamp', () => {
    const history = new CommitHistory(100, { maxAgeMs: 60_000, maxCommits: 10, maxRows: 100 });
    history.add(commit(101, [[['a'], 2]]));
    history.add(
      commit(102, [
        [['a'], -1],
        [['b'], 1],
      ]),
    );
    const now: Array<[unknown[], number]> = [
      [['a'], 1],
      [['b'], 1],
    ];
    assert.deepEqual([...history.rollBack('v', now, 101).counted()], [[['a'], 2]]);
    assert.deepEqual([...history.rollBack('v', now, 100).counted()], []);
    assert.deepEqual(
      history.after(100).map((c) => c.timestamp),
      [101, 102],
    );
  });

  it('drops old transactions by count, by changed rows and by age, and moves its floor', () => {
    const byCount = new CommitHistory(0, { maxAgeMs: 60_000, maxCommits: 2, maxRows: 100 });
    for (const t of [1, 2, 3]) byCount.add(commit(t, [[[t], 1]]));
    assert.equal(byCount.floor, 1);

    const byRows = new CommitHistory(0, { maxAgeMs: 60_000, maxCommits: 100, maxRows: 3 });
    byRows.add(commit(1, [[[1], 1]]));
    byRows.add(
      commit(2, [
        [[2], 1],
        [[3], 1],
      ]),
    );
    assert.equal(byRows.floor, 0);
    byRows.add(commit(3, [[[4], 1]]));
    assert.equal(byRows.floor, 1);

    const byAge = new CommitHistory(0, { maxAgeMs: 1_000, maxCommits: 100, maxRows: 100 });
    byAge.add(commit(10, []));
    byAge.add(commit(2_000, []));
    assert.equal(byAge.floor, 10);
  });

  it('drops nothing while pinned by a subscription waiting for its snapshot', () => {
    const history = new CommitHistory(0, { maxAgeMs: 60_000, maxCommits: 1, maxRows: 100 });
    const unpin = history.pin();
    for (const t of [1, 2, 3]) history.add(commit(t, []));
    assert.equal(history.floor, 0);
    unpin();
    history.add(commit(4, []));
    assert.equal(history.floor, 3);
  });
});
