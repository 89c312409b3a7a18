/**
 * Two pure pieces of the browser client: SSE framing (however the bytes are split) and the Vega
 * adapter, whose removals match rows by value with multiset semantics.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseParser } from '../src/core/sse-parser.js';
import { toVegaChangeset, type Datum } from '../src/client/vega-changeset.js';

describe('SSE framing', { timeout: 120_000 }, () => {
  const text =
    ': keep-alive\n\nevent: snapshot\nid: 10\ndata: {"a":\ndata: 1}\n\r\nevent: progress\r\ndata: {"timestamp":11}\r\n\r\n';

  it('reads events, joined data lines, ids and both line endings, split anywhere', () => {
    for (let cut = 0; cut <= text.length; cut++) {
      const parser = new SseParser();
      const events = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))].map(
        ({ event, data, id }) => ({ event, data, id }),
      );
      assert.deepEqual(
        events,
        [
          { event: 'snapshot', data: '{"a":\n1}', id: '10' },
          { event: 'progress', data: '{"timestamp":11}', id: '10' },
        ],
        `cut at ${cut}`,
      );
      assert.equal(parser.lastEventId, '10');
    }
  });
});

/** Records what the adapter asks of a changeset, like `vega.changeset()` does. */
class RecordingChangeset {
  removed: Datum[] = [];
  inserted: Datum[] = [];
  remove(values: Datum[]): this {
    this.removed.push(...values);
    return this;
  }
  insert(values: Datum[]): this {
    this.inserted.push(...values);
    return this;
  }
}

describe('Vega changeset adapter', { timeout: 120_000 }, () => {
  const columns = ['user', 'count'];

  it('removes exactly one of two equal rows, and removes the very objects the chart holds', () => {
    const current = [
      { user: 'a', count: 2 },
      { user: 'a', count: 2 },
      { user: 'b', count: 1 },
    ];
    const change = toVegaChangeset(() => new RecordingChangeset(), columns, current, {
      deleted: [['a', 2]],
      inserted: [['c', 3]],
    });
    assert.equal(change.removed.length, 1);
    assert.ok(change.removed[0] === current[0], 'by identity of the held datum, found by value');
    assert.deepEqual(change.inserted, [{ user: 'c', count: 3 }]);
  });

  it('removes nothing for a row it does not hold, and handles an empty batch', () => {
    const current = [{ user: 'a', count: 2 }];
    const change = toVegaChangeset(() => new RecordingChangeset(), columns, current, {
      deleted: [['a', 3]],
      inserted: [],
    });
    assert.deepEqual(change.removed, []);
    const empty = toVegaChangeset(() => new RecordingChangeset(), columns, [], { deleted: [], inserted: [] });
    assert.deepEqual([empty.removed, empty.inserted], [[], []]);
  });
});
