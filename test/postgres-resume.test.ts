/**
 * Exactly once across restarts: the postgres source resumes from the position committed with the
 * replica's state, after a clean stop, after a crash that left batches uncommitted (and so never
 * acknowledged), and across a restart of Postgres itself, without losing or repeating a transaction.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseLsn } from '../src/sources/postgres/lsn.js';
import { PostgresSource } from '../src/sources/postgres/postgres-source.js';
import { NO_POSTGRES, startCluster, type PostgresCluster } from './support/postgres-cluster.js';
import { assertReplicaMatches, memoryLog, ReplicaSink } from './support/postgres-replica.js';
import { SHOP_SCHEMA, SHOP_TABLES } from './support/postgres-shop.js';

let next = 1000;
/** One upstream transaction over both tables: an insert, an update and a delete. */
function transaction(): string {
  const id = next++;
  return `BEGIN; INSERT INTO orders (id, customer_id, amount, status) VALUES (${id}, 1, ${id}.5, 'open');
          UPDATE orders SET status = 'paid' WHERE id = ${id - 1}; DELETE FROM orders WHERE id = ${id - 2};
          UPDATE customers SET name = name || '.' WHERE id = ${1 + (id % 3)}; COMMIT`;
}

describe('postgres source: resuming without loss or repeats', { skip: NO_POSTGRES, timeout: 180_000 }, () => {
  let cluster: PostgresCluster;
  before(async () => {
    cluster = await startCluster();
    await cluster.sql(SHOP_SCHEMA);
  });
  after(async () => cluster?.stop());

  const confirmedFlush = async (slot: string): Promise<bigint> => {
    const result = await cluster.sql(
      'SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    );
    return parseLsn(String(result.rows[0]?.lsn));
  };

  it('resumes after a stop from the committed position, with changes made while it was down', async () => {
    const options = { url: cluster.url(), tables: SHOP_TABLES, log: memoryLog(), slot: 'resume_test' };
    const first = new ReplicaSink();
    const one = new PostgresSource(options);
    const running = one.run(first, null);
    await first.received(1);
    for (let i = 0; i < 3; i++) await cluster.sql(transaction());
    await first.received(4);
    one.stop();
    await running;
    // Acknowledged exactly what was committed.
    assert.equal(await confirmedFlush('resume_test'), parseLsn(first.committed ?? ''));
    for (let i = 0; i < 3; i++) await cluster.sql(transaction());

    const second = new ReplicaSink(first);
    const two = new PostgresSource(options);
    const again = two.run(second, first.committed);
    try {
      await second.received(3);
      await assertReplicaMatches(second, cluster.url(), SHOP_TABLES, 'resuming');
      await cluster.sql(transaction());
      await second.received(4);
      await assertReplicaMatches(second, cluster.url(), SHOP_TABLES, 'a transaction after resuming');
      assert.equal(second.batches.length, 4, 'nothing delivered twice');
    } finally {
      two.stop();
      await again;
    }
  });

  it('after a crash with uncommitted batches, acknowledges only the committed ones and delivers the rest again', async () => {
    const options = { url: cluster.url(), tables: SHOP_TABLES, log: memoryLog(), slot: 'crash_test' };
    const crashed = new ReplicaSink();
    crashed.commitLimit = 3; // the snapshot and two transactions commit; the next three never do
    const one = new PostgresSource(options);
    const running = one.run(crashed, null);
    await crashed.received(1);
    for (let i = 0; i < 5; i++) await cluster.sql(transaction());
    await crashed.received(6);
    const durable = crashed.committed ?? '';
    assert.equal(durable, crashed.batches[2]?.position);
    one.stop(); // the crash: nothing after the second transaction was committed or acknowledged
    await running;
    assert.ok(
      (await confirmedFlush('crash_test')) <= parseLsn(durable),
      'the slot is not acknowledged past the commit',
    );

    const restarted = new ReplicaSink(crashed); // the state that survived: committed batches only
    const two = new PostgresSource(options);
    const again = two.run(restarted, durable);
    try {
      await restarted.received(3);
      await assertReplicaMatches(restarted, cluster.url(), SHOP_TABLES, 'the restart after the crash');
      assert.deepEqual(
        restarted.batches.map((b) => b.position),
        crashed.batches.slice(3).map((b) => b.position),
        'exactly the uncommitted transactions, once each',
      );
    } finally {
      two.stop();
      await again;
    }
  });

  it('waits while another connection holds the slot, then takes over from the committed position', async () => {
    const options = {
      url: cluster.url(),
      tables: SHOP_TABLES,
      slot: 'shared_test',
      maxReconnectDelayMs: 200,
    };
    const first = new ReplicaSink();
    const one = new PostgresSource({ ...options, log: memoryLog() });
    const running = one.run(first, null);
    await first.received(1);
    await cluster.sql(transaction());
    await first.received(2);
    const log = memoryLog();
    const second = new ReplicaSink(first);
    const two = new PostgresSource({ ...options, log });
    const again = two.run(second, first.committed);
    try {
      await log.waitFor(/warn .*"shared_test" is in use by another connection/);
      one.stop();
      await running;
      await log.waitFor(/streaming from/);
      await cluster.sql(transaction());
      await second.received(1);
      await assertReplicaMatches(second, cluster.url(), SHOP_TABLES, 'taking over the slot');
    } finally {
      two.stop();
      await again;
    }
  });

  it('reconnects when its connection is cut (pg_terminate_backend)', async () => {
    const log = memoryLog();
    const options = {
      url: cluster.url(),
      tables: SHOP_TABLES,
      log,
      slot: 'cut_test',
      maxReconnectDelayMs: 200,
    };
    const sink = new ReplicaSink();
    const source = new PostgresSource(options);
    const running = source.run(sink, null);
    try {
      await sink.received(1);
      await cluster.sql(transaction());
      await sink.received(2);
      await cluster.sql(
        `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'cut_test'`,
      );
      await log.waitFor(/connection to .* lost/);
      for (let i = 0; i < 2; i++) await cluster.sql(transaction());
      await sink.received(4);
      await assertReplicaMatches(sink, cluster.url(), SHOP_TABLES, 'a cut connection');
    } finally {
      source.stop();
      await running;
    }
  });

  it('rides out a restart of Postgres (pg_ctl restart) while streaming', async () => {
    const log = memoryLog();
    const options = {
      url: cluster.url(),
      tables: SHOP_TABLES,
      log,
      slot: 'restart_test',
      maxReconnectDelayMs: 500,
    };
    const sink = new ReplicaSink();
    const source = new PostgresSource(options);
    const running = source.run(sink, null);
    try {
      await sink.received(1);
      for (let i = 0; i < 3; i++) await cluster.sql(transaction());
      await sink.received(4);
      await cluster.restart();
      for (let i = 0; i < 3; i++) await cluster.sql(transaction());
      await sink.received(7);
      await assertReplicaMatches(sink, cluster.url(), SHOP_TABLES, 'the restart of Postgres');
      assert.ok(
        log.lines.some((l) => /connection to .* lost/.test(l)),
        log.lines.join('\n'),
      );
      await cluster.sql(transaction());
      await sink.received(8);
      await assertReplicaMatches(sink, cluster.url(), SHOP_TABLES, 'a transaction after the restart');
      assert.equal(sink.batches.length, 8, 'nothing delivered twice');
    } finally {
      source.stop();
      await running;
    }
  });
});
