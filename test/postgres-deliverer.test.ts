/**
 * What the postgres source acknowledges: only the committed prefix of the batches it handed over,
 * whatever order the sink commits them in; a failed commit stops it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChangeBatch } from '../src/sources/postgres/interface.js';
import { Deliverer, type Progress } from '../src/sources/postgres/replication-stream.js';

/** A sink whose commits the test resolves (or rejects) one by one. */
function heldSink(): { apply(batch: ChangeBatch): Promise<void>; settle: Array<(error?: Error) => void> } {
  const settle: Array<(error?: Error) => void> = [];
  return {
    settle,
    apply: () =>
      new Promise<void>((resolve, reject) => settle.push((error) => (error ? reject(error) : resolve()))),
  };
}

const batch = (position: string): ChangeBatch => ({ changes: [], position, snapshot: false });
const committed = (deliverer: Deliverer): Promise<void> =>
  new Promise((resolve) => (deliverer.onCommit = resolve));

describe('acknowledging committed batches', { timeout: 10_000 }, () => {
  it('moves over the committed prefix only, and counts what is in flight', async () => {
    const sink = heldSink();
    const progress: Progress = { delivered: null, committed: 5n, transactions: 0, changes: 0 };
    const deliverer = new Deliverer(sink, progress, 2);
    deliverer.deliver(batch('0/A'), 10n);
    deliverer.deliver(batch('0/14'), 20n);
    assert.equal(deliverer.full, true);
    let next = committed(deliverer);
    sink.settle[1]?.();
    await next;
    assert.equal(progress.committed, 5n, 'the second commit alone does not pass the open first');
    next = committed(deliverer);
    sink.settle[0]?.();
    await next;
    assert.equal(progress.committed, 20n);
    assert.equal(deliverer.full, false);
    assert.equal(progress.delivered, 20n);
  });

  it('fails when a commit fails', async () => {
    const sink = heldSink();
    const deliverer = new Deliverer(sink, { delivered: null, committed: 0n, transactions: 0, changes: 0 }, 4);
    deliverer.deliver(batch('0/A'), 10n);
    sink.settle[0]?.(new Error('disk full'));
    await assert.rejects(deliverer.failed, /disk full/);
  });
});
