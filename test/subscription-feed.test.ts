/**
 * One client's SUBSCRIBE over a real ViewChannel (the hub's per-view state): the rows it produces
 * for SNAPSHOT, PROGRESS and AS OF, and FETCH's waiting rules.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Change } from '../src/core/multiset.js';
import { ViewChannel } from '../src/hub/view-channel.js';
import { PgError } from '../src/pgwire/pg-error.js';
import type { SubscribeStatement } from '../src/pgwire/sql-ast.js';
import { SubscriptionFeed, type FeedRow } from '../src/pgwire/subscription-feed.js';

function channelAt(timestamp: number, rows: Change[]): ViewChannel {
  const channel = new ViewChannel({ name: 'v', columns: [{ name: 'k', type: 'text' }] });
  channel.apply({ timestamp, changes: rows });
  return channel;
}

function spec(options: Partial<SubscribeStatement> = {}): SubscribeStatement {
  return {
    kind: 'subscribe',
    view: 'v',
    viewPosition: 1,
    progress: true,
    snapshot: true,
    asOf: null,
    ...options,
  };
}

const P = (timestamp: number): FeedRow => ({ progressed: true, timestamp });
const D = (timestamp: number, row: unknown[], diff = 1): FeedRow => ({
  progressed: false,
  timestamp,
  diff,
  row,
});

describe('SUBSCRIBE feed over the hub', () => {
  it('starts with a progress row at the current timestamp, the snapshot, then changes and progress', () => {
    const channel = channelAt(10, [[['a'], 2]]);
    const feed = new SubscriptionFeed(channel, spec());
    channel.apply({ timestamp: 12, changes: [[['b'], 1]] });
    channel.apply({ timestamp: 13, changes: [] });
    assert.deepEqual(feed.take(100), [P(10), D(10, ['a'], 2), P(11), D(12, ['b']), P(13), P(14)]);
    feed.close();
    assert.equal(channel.listenerCount, 0);
  });

  it('leaves out the snapshot with SNAPSHOT = false, and progress rows without PROGRESS', () => {
    const channel = channelAt(10, [[['a'], 1]]);
    const quiet = new SubscriptionFeed(channel, spec({ snapshot: false }));
    const plain = new SubscriptionFeed(channel, spec({ progress: false }));
    channel.apply({ timestamp: 12, changes: [[['a'], -1]] });
    assert.deepEqual(quiet.take(100), [P(10), P(11), D(12, ['a'], -1), P(13)]);
    assert.deepEqual(plain.take(100), [D(10, ['a']), D(12, ['a'], -1)]);
  });

  it('AS OF a later timestamp: the state at that timestamp first, then what follows it', () => {
    const channel = channelAt(10, [[['a'], 1]]);
    const feed = new SubscriptionFeed(channel, spec({ asOf: 15n }));
    channel.apply({ timestamp: 12, changes: [[['b'], 1]] });
    assert.equal(feed.ready, 0, 'nothing until the state at 15 is known');
    channel.apply({ timestamp: 17, changes: [[['c'], 1]] });
    const rows = feed.take(100);
    assert.deepEqual(rows.slice(0, 1), [P(15)]);
    assert.deepEqual(
      rows
        .slice(1, 3)
        .map((r) => (r.progressed ? null : r.row[0]))
        .sort(),
      ['a', 'b'],
    );
    assert.deepEqual(rows.slice(3), [P(16), D(17, ['c']), P(18)]);
  });

  it('AS OF an earlier timestamp: the state then, and every later batch at its own timestamp', () => {
    const channel = channelAt(10, [[['a'], 1]]);
    channel.apply({ timestamp: 12, changes: [[['b'], 1]] });
    channel.apply({ timestamp: 14, changes: [[['a'], -1]] });
    const feed = new SubscriptionFeed(channel, spec({ asOf: 11n }));
    assert.deepEqual(feed.take(100), [
      P(11),
      D(11, ['a']),
      P(12),
      D(12, ['b']),
      P(13),
      D(14, ['a'], -1),
      P(15),
    ]);
  });

  it('refuses AS OF before the oldest retained batch', () => {
    const channel = channelAt(10, []);
    assert.throws(
      () => new SubscriptionFeed(channel, spec({ asOf: 9n })),
      (e: PgError) => e.sqlstate === '22023' && /earliest it can be read at is 10/.test(e.message),
    );
  });

  it('FETCH waits for the first rows only: a timeout gives nothing, a cancel stops it', async () => {
    const channel = channelAt(10, []);
    const feed = new SubscriptionFeed(channel, spec());
    assert.equal(
      (await feed.next(1, null, new AbortController().signal)).length,
      1,
      'ready rows come at once',
    );
    assert.deepEqual(await feed.next(Number.MAX_SAFE_INTEGER, null, new AbortController().signal), [P(11)]);
    assert.deepEqual(
      await feed.next(10, Date.now(), new AbortController().signal),
      [],
      'timeout 0s: what is ready',
    );
    const waiting = feed.next(10, null, new AbortController().signal);
    channel.apply({ timestamp: 12, changes: [[['x'], 1]] });
    assert.deepEqual(await waiting, [D(12, ['x']), P(13)]);
    const cancel = new AbortController();
    const stopped = feed.next(10, null, cancel.signal);
    cancel.abort();
    await assert.rejects(stopped, (e: PgError) => e.sqlstate === '57014');
  });
});
