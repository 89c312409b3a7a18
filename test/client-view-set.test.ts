/**
 * The client's view state, driven by protocol messages (docs/PROTOCOL.md version 1) without sockets:
 * snapshots, batches, resets and progress keep every view a multiset at one shared moment.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServerMessage } from '../src/client/protocol.js';
import { ViewSet, type ChangeEvent } from '../src/client/view-set.js';

const COLUMNS = { counter: ['count'], top10: ['user', 'count'] };

function snapshot(view: 'counter' | 'top10', timestamp: number, rows: unknown[][]): ServerMessage {
  return { type: 'snapshot', view, timestamp, columns: COLUMNS[view], rows };
}

function subscribed(): { set: ViewSet; first: ChangeEvent } {
  const set = new ViewSet();
  set.add(['counter', 'top10']);
  assert.equal(set.beginSubscribe(['counter', 'top10'], true), undefined, 'nothing to resume from yet');
  assert.deepEqual(set.receive(snapshot('counter', 10, [[3]])), {}, 'held until top10 is there too');
  const { change } = set.receive(
    snapshot('top10', 10, [
      ['a', 2],
      ['b', 1],
    ]),
  );
  assert.ok(change);
  return { set, first: change };
}

describe('client view set', { timeout: 120_000 }, () => {
  it('releases the snapshots of one subscribe together, as one change at one timestamp', () => {
    const { set, first } = subscribed();
    assert.equal(first.timestamp, 10);
    assert.deepEqual(Object.keys(first.views).sort(), ['counter', 'top10']);
    assert.deepEqual(first.views['counter'], { inserted: [[3]], deleted: [], reset: true });
    assert.equal(set.get('counter')?.timestamp, 10);
    assert.equal(set.get('top10')?.timestamp, 10);
    assert.deepEqual(set.get('top10')?.objects(), [
      { user: 'a', count: 2 },
      { user: 'b', count: 1 },
    ]);
  });

  it('applies a batch to all views at once and moves every view to its timestamp', () => {
    const { set } = subscribed();
    const { change } = set.receive({
      type: 'batch',
      timestamp: 11,
      views: { counter: { inserted: [[4]], deleted: [[3]] } },
    });
    assert.deepEqual(change, {
      timestamp: 11,
      views: { counter: { inserted: [[4]], deleted: [[3]], reset: false } },
    });
    assert.equal(set.get('top10')?.timestamp, 11, 'an unchanged view is valid at the new moment too');
    assert.equal(set.timestamp, 11);
  });

  it('treats rows as a multiset: two equal rows, one deleted, leaves one', () => {
    const { set } = subscribed();
    set.receive({ type: 'batch', timestamp: 11, views: { top10: { inserted: [['c', 1]], deleted: [] } } });
    set.receive({ type: 'batch', timestamp: 12, views: { top10: { inserted: [['c', 1]], deleted: [] } } });
    assert.equal(set.get('top10')?.rows.count(['c', 1]), 2);
    set.receive({ type: 'batch', timestamp: 13, views: { top10: { inserted: [], deleted: [['c', 1]] } } });
    assert.equal(set.get('top10')?.rows.count(['c', 1]), 1);
  });

  it('advances on progress without a change, and resumes from the newest moment', () => {
    const { set } = subscribed();
    assert.deepEqual(set.receive({ type: 'progress', timestamp: 20 }), { progress: 20 });
    assert.equal(set.get('counter')?.timestamp, 20);
    assert.equal(set.beginSubscribe(['counter', 'top10'], true), 20);
    assert.equal(set.holding, false, 'a resume needs no gate');
  });

  it('ignores a batch it already holds (a resume never counts a change twice)', () => {
    const { set } = subscribed();
    const { change } = set.receive({
      type: 'batch',
      timestamp: 10,
      views: { counter: { inserted: [[3]], deleted: [] } },
    });
    assert.deepEqual(change?.views, {});
    assert.equal(set.get('counter')?.rows.size, 1);
  });

  it('turns a reset into the exact difference and holds it until the other views reach its moment', () => {
    const { set } = subscribed();
    assert.equal(set.beginSubscribe(['counter', 'top10'], true), 10);
    const reset: ServerMessage = {
      type: 'reset',
      view: 'top10',
      timestamp: 30,
      columns: COLUMNS.top10,
      rows: [
        ['a', 5],
        ['b', 1],
      ],
      reason: 'the retention log no longer reaches back',
    };
    assert.deepEqual(set.receive(reset), {}, 'counter is still at 10');
    assert.equal(set.get('top10')?.rows.count(['a', 2]), 1, 'nothing applied while held');
    assert.deepEqual(
      set.receive({ type: 'batch', timestamp: 25, views: { counter: { inserted: [[8]], deleted: [[3]] } } }),
      {},
    );
    const { change } = set.receive({ type: 'progress', timestamp: 30 });
    assert.ok(change, 'progress at the reset moment completes it');
    assert.equal(change.timestamp, 30);
    assert.deepEqual(change.views['top10'], { inserted: [['a', 5]], deleted: [['a', 2]], reset: true });
    assert.deepEqual(change.views['counter'], { inserted: [[8]], deleted: [[3]], reset: false });
    assert.equal(set.get('counter')?.timestamp, 30);
  });

  it('releases at once when every view was reset, as after a server restart', () => {
    const { set } = subscribed();
    set.beginSubscribe(['counter', 'top10'], true);
    const reset = (view: 'counter' | 'top10', rows: unknown[][]): ServerMessage => ({
      type: 'reset',
      view,
      timestamp: 50,
      columns: COLUMNS[view],
      rows,
      reason: 'since-not-retained',
    });
    assert.deepEqual(set.receive(reset('counter', [[9]])), {});
    const { change } = set.receive(reset('top10', [['a', 2]]));
    assert.deepEqual(change, {
      timestamp: 50,
      views: {
        counter: { inserted: [[9]], deleted: [[3]], reset: true },
        top10: { inserted: [], deleted: [['b', 1]], reset: true },
      },
    });
  });

  it('releases held frames on flush, so a silent server cannot freeze a page', () => {
    const set = new ViewSet();
    set.add(['counter', 'top10']);
    set.beginSubscribe(['counter', 'top10'], true);
    set.receive(snapshot('counter', 5, [[1]]));
    const { change } = set.flush();
    assert.deepEqual(change?.views['counter'], { inserted: [[1]], deleted: [], reset: true });
    assert.equal(set.holding, false);
  });

  it('forgets held frames of a lost connection and asks for snapshots again', () => {
    const set = new ViewSet();
    set.add(['counter', 'top10']);
    set.beginSubscribe(['counter', 'top10'], true);
    set.receive(snapshot('counter', 5, [[1]]));
    set.abandon();
    assert.equal(set.beginSubscribe(['counter', 'top10'], true), undefined, 'nothing was applied: no resume');
    set.receive(snapshot('counter', 8, [[2]]));
    const { change } = set.receive(snapshot('top10', 8, []));
    assert.deepEqual(change?.views['counter'], { inserted: [[2]], deleted: [], reset: true });
  });

  it('drops a view the server refuses and still releases the others', () => {
    const set = new ViewSet();
    set.add(['counter', 'nope']);
    set.beginSubscribe(['counter', 'nope'], true);
    set.receive(snapshot('counter', 5, [[1]]));
    const result = set.receive({
      type: 'error',
      code: 'UNKNOWN_VIEW',
      message: 'unknown view',
      view: 'nope',
    });
    assert.equal(result.error?.code, 'UNKNOWN_VIEW');
    assert.equal(result.change?.timestamp, 5);
    assert.deepEqual(set.names(), ['counter']);
  });

  it('sums merged batches and nets out changes that cancel within one release', () => {
    const set = new ViewSet();
    set.add(['top10']);
    set.beginSubscribe(['top10'], true);
    set.receive(snapshot('top10', 1, [['a', 1]]));
    const { change } = set.receive({
      type: 'batch',
      timestamp: 9,
      merged: 4,
      views: { top10: { inserted: [['a', 5]], deleted: [['a', 1]] } },
    });
    assert.equal(change?.merged, 4);
    assert.deepEqual(set.get('top10')?.rows.rows(), [['a', 5]]);
  });

  const viewError = (view: 'counter' | 'top10', timestamp: number): ServerMessage => ({
    type: 'error',
    code: 'VIEWCAST_VIEW_ERROR',
    message: `view "${view}" is in error: division by zero [SQLSTATE 22012]`,
    view,
    errors: [{ view, sqlstate: '22012', message: 'division by zero' }],
    timestamp,
  });

  it('drops the rows of a view in error at once, keeps the error, and takes its recovered reset in place', () => {
    const { set } = subscribed();
    const failed = set.receive(viewError('top10', 11));
    assert.equal(failed.error?.view, 'top10');
    const change = failed.change?.views['top10'];
    assert.deepEqual(change?.deleted.length, 2, 'every row goes');
    assert.equal(change?.error?.code, 'VIEWCAST_VIEW_ERROR');
    assert.equal(set.get('top10')?.rows.size, 0);
    assert.match(set.get('top10')?.error?.message ?? '', /division by zero/);
    assert.deepEqual(set.names(), ['counter', 'top10'], 'still followed');
    // The others go on, never held back by the view in error.
    const batch = set.receive({
      type: 'batch',
      timestamp: 12,
      views: { counter: { inserted: [[4]], deleted: [[3]] } },
    });
    assert.deepEqual(batch.change?.views['counter'], { inserted: [[4]], deleted: [[3]], reset: false });
    const back = set.receive({
      type: 'reset',
      view: 'top10',
      timestamp: 12,
      columns: COLUMNS.top10,
      rows: [['c', 5]],
      reason: 'recovered',
    });
    assert.equal(set.holding, false, 'a recovered reset holds nothing back');
    assert.deepEqual(back.change?.views['top10'], { inserted: [['c', 5]], deleted: [], reset: true });
    assert.equal(set.get('top10')?.error, null);
    assert.equal(set.timestamp, 12);
  });

  it("takes an error instead of a snapshot as that view's answer to a subscribe", () => {
    const set = new ViewSet();
    set.add(['counter', 'top10']);
    set.beginSubscribe(['counter', 'top10'], true);
    assert.equal(set.receive(viewError('top10', 10)).change?.views['counter'], undefined);
    const { change } = set.receive(snapshot('counter', 10, [[3]]));
    assert.deepEqual(change?.views['counter'], { inserted: [[3]], deleted: [], reset: true });
    assert.equal(set.holding, false);
    assert.equal(
      set.beginSubscribe(['counter', 'top10'], true),
      undefined,
      'a view in error is asked for anew',
    );
  });
});
