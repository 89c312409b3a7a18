/**
 * The remote engine's reading of SUBSCRIBE output, fed with vectors shaped like Materialize's
 * documented outputs (materialize.com/docs/sql/subscribe: progress row first, timestamps without
 * their own progress row, NULL columns, diffs of +2/-2, retractions). Materialize itself cannot
 * run here; its wire format is what these rows stand for (node-postgres gives mz_timestamp and
 * mz_diff as text, mz_progressed as a boolean).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Multiset } from '../src/core/multiset.js';
import { parseServeOptions } from '../src/cli/options.js';
import { parseRemoteTarget } from '../src/engine/remote/connect.js';
import { SubscribeDecoder } from '../src/engine/remote/subscribe-decoder.js';
import type { SubscribeRow } from '../src/engine/types.js';
import { BatchBuilder, type Batch } from '../src/hub/batch-builder.js';

const P = (ts: string): unknown[] => [ts, true, null, null, null];
const D = (ts: string, diff: string, ...row: unknown[]): unknown[] => [ts, false, diff, ...row];

function decode(...fetches: unknown[][][]): SubscribeRow[] {
  const decoder = new SubscribeDecoder('v');
  return fetches.flatMap((rows) => decoder.decode(rows));
}

/** What the hub makes of the rows: its batches and the view's final state. */
function throughHub(rows: SubscribeRow[]): { batches: Batch[]; state: Multiset } {
  const batches: Batch[] = [];
  const state = new Multiset();
  new BatchBuilder((batch) => {
    batches.push(batch);
    state.applyAll(batch.changes);
  }).push(rows);
  return { batches, state };
}

describe('SUBSCRIBE output as Materialize documents it', { timeout: 300_000 }, () => {
  it('reads timestamps without their own progress row: a later timestamp implies progress', () => {
    // The docs' example: updates at 1, 2, 3, then one progress row at 4.
    const rows = decode([
      D('1', '1', 'data'),
      D('2', '1', 'more data'),
      D('3', '1', 'even more data'),
      ['4', true, null, null],
    ]);
    assert.deepEqual(rows, [
      { progressed: false, timestamp: 1, diff: 1, row: ['data'] },
      { progressed: true, timestamp: 2 },
      { progressed: false, timestamp: 2, diff: 1, row: ['more data'] },
      { progressed: true, timestamp: 3 },
      { progressed: false, timestamp: 3, diff: 1, row: ['even more data'] },
      { progressed: true, timestamp: 4 },
    ]);
  });

  it('starts with a progress row at AS OF, then the snapshot at that timestamp, with NULL columns kept', () => {
    const rows = decode(
      [
        P('1777979860123'),
        D('1777979860123', '1', 'SuperGrey-bot', '430'),
        D('1777979860123', '2', null, null),
      ],
      [P('1777979860124')],
    );
    const { batches, state } = throughHub(rows);
    assert.equal(batches.length, 1);
    assert.equal(batches[0]?.timestamp, 1777979860123);
    assert.equal(state.count(['SuperGrey-bot', '430']), 1);
    assert.equal(state.count([null, null]), 2, 'a row of NULLs with diff +2 is two rows');
  });

  it('applies +2/-2 and retractions, and consolidates what cancels within a timestamp', () => {
    const rows = decode(
      [P('100'), D('100', '2', 'x', 5), P('101')],
      [
        D('105', '-2', 'x', 5),
        D('105', '1', 'x', 6),
        D('105', '1', 'y', 1),
        D('105', '-1', 'y', 1),
        P('106'),
      ],
      [P('110')],
    );
    // The +1/-1 pair for y at 105 never reaches the hub.
    assert.ok(!rows.some((r) => !r.progressed && 'row' in r && r.row[0] === 'y'));
    const { batches, state } = throughHub(rows);
    assert.deepEqual(
      batches.map((b) => [b.timestamp, b.changes]),
      [
        [100, [[['x', 5], 2]]],
        [
          105,
          [
            [['x', 5], -2],
            [['x', 6], 1],
          ],
        ],
        [109, []],
      ],
    );
    assert.deepEqual(state.rows(), [['x', 6]]);
    assert.equal(state.valid, true);
  });

  it('keeps rows of one timestamp that span two FETCHes together', () => {
    const rows = decode([P('7'), D('7', '1', 'a')], [D('7', '1', 'b'), P('8')]);
    assert.deepEqual(
      throughHub(rows).batches.map((b) => b.changes.length),
      [2],
    );
  });

  it('reads timestamps as BigInt at the edge: exact below 2^53, a clear error above', () => {
    assert.deepEqual(decode([P('9007199254740991')]), [{ progressed: true, timestamp: 9007199254740991 }]);
    assert.throws(() => decode([P('18446744073709551615')]), {
      code: 'VIEWCAST_REMOTE_TIMESTAMP',
      message: /beyond 2\^53/,
    });
    assert.throws(() => decode([D('5', '9007199254740993', 'a')]), { code: 'VIEWCAST_REMOTE_PROTOCOL' });
    assert.throws(() => decode([D('5', '0', 'a')]), { code: 'VIEWCAST_REMOTE_PROTOCOL' });
    assert.throws(() => decode([P('5'), D('4', '1', 'a')]), {
      code: 'VIEWCAST_REMOTE_PROTOCOL',
      message: /after promising/,
    });
  });

  it('checks the cursor columns', () => {
    assert.throws(
      () => SubscribeDecoder.checkColumns('v', ['mz_timestamp', 'mz_diff', 'a'], ['a']),
      /WITH \(PROGRESS\)/,
    );
    assert.doesNotThrow(() =>
      SubscribeDecoder.checkColumns('v', ['mz_timestamp', 'mz_progressed', 'mz_diff', 'a'], ['a']),
    );
  });
});

describe('--engine with a remote URL', { timeout: 300_000 }, () => {
  it('takes the views from the URL, keeps the password out of logs, and runs no sources', () => {
    const target = parseRemoteTarget(
      'postgres://materialize:s3cret@mz.internal:6875/materialize?views=counter,top10&sslmode=require',
    );
    assert.deepEqual(target.views, ['counter', 'top10']);
    assert.equal(target.display, 'postgres://materialize:***@mz.internal:6875/materialize?sslmode=require');
    assert.equal(
      target.connectionString,
      'postgres://materialize:s3cret@mz.internal:6875/materialize?sslmode=require',
    );
    assert.throws(
      () => parseServeOptions(['--engine', 'postgres://mz:6875/materialize', '--source', 'simulate']),
      /--source does not go with a remote --engine/,
    );
    assert.throws(() => parseServeOptions(['--engine', 'kafka://x']), /--engine "kafka:\/\/x" is not known/);
  });
});
