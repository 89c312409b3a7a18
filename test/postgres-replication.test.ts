/**
 * The postgres source against a real PostgreSQL server: the initial snapshot plus every upstream
 * transaction, applied to a multiset per table, equals a SELECT of the same tables upstream after
 * every transaction; one upstream transaction is one batch.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PostgresSource } from '../src/sources/postgres/postgres-source.js';
import { NO_POSTGRES, startCluster, type PostgresCluster } from './support/postgres-cluster.js';
import { assertReplicaMatches, memoryLog, ReplicaSink } from './support/postgres-replica.js';
import { SHOP_SCHEMA, SHOP_TABLES } from './support/postgres-shop.js';

/** Upstream transactions, each touching the declared tables, that cover every kind of change. */
const TRANSACTIONS: string[] = [
  `INSERT INTO orders (id, customer_id, amount, status) VALUES (100, 2, 10.50, 'open')`,
  `UPDATE orders SET status = 'paid', paid = true WHERE id = 100`,
  `DELETE FROM orders WHERE id BETWEEN 1 AND 5`,
  `UPDATE orders SET id = id + 1000 WHERE id = 6`,
  `BEGIN; INSERT INTO customers VALUES (4, 'Barbara', 'eu'); UPDATE orders SET customer_id = 4 WHERE id % 10 = 0;
   DELETE FROM customers WHERE id = 3; COMMIT`,
  `BEGIN; INSERT INTO orders (id, status) VALUES (200, 'open'); UPDATE orders SET status = 'shipped' WHERE id = 200;
   UPDATE orders SET status = 'done' WHERE id = 200; COMMIT`,
  `INSERT INTO orders (id, big, ratio, amount, details, note) VALUES
     (300, 9007199254740993, 'NaN', 12345678901.99, '{"a": [1, "x", null]}', 'two
lines'), (301, -9223372036854775808, 1e300, -0.01, 'null', '')`,
  `UPDATE orders SET amount = amount * 2 WHERE status = 'open'`,
  `INSERT INTO orders (id, note) SELECT 400, string_agg(md5(i::text), '') FROM generate_series(1, 400) AS i`,
  `UPDATE orders SET status = 'toasted' WHERE id = 400`,
  `UPDATE orders SET internal = 'not replicated' WHERE id = 7`,
  `BEGIN; INSERT INTO orders (id) VALUES (500); DELETE FROM orders WHERE id = 500; COMMIT`,
  `DELETE FROM orders WHERE customer_id = 2`,
  `UPDATE customers SET name = name || '!'`,
];

describe('postgres source: snapshot and live changes', { skip: NO_POSTGRES, timeout: 120_000 }, () => {
  let cluster: PostgresCluster;
  before(async () => {
    cluster = await startCluster();
    await cluster.sql(SHOP_SCHEMA);
  });
  after(async () => cluster?.stop());

  it('equals a SELECT of the tables after the snapshot and after every upstream transaction', async () => {
    const log = memoryLog();
    const sink = new ReplicaSink();
    const source = new PostgresSource({ url: cluster.url(), tables: SHOP_TABLES, log });
    const running = source.run(sink, null);
    try {
      await sink.received(1);
      assert.equal(sink.batches[0]?.snapshot, true);
      assert.equal(sink.batches[0]?.changes.length, 53);
      await assertReplicaMatches(sink, cluster.url(), SHOP_TABLES, 'the snapshot');
      for (const [i, sql] of TRANSACTIONS.entries()) {
        await cluster.sql(sql);
        await sink.received(i + 2);
        await assertReplicaMatches(sink, cluster.url(), SHOP_TABLES, `transaction ${i + 1}: ${sql}`);
      }
      // One upstream transaction, one batch: the three statements of transaction 5 arrive together.
      assert.equal(sink.batches[5]?.changes.filter((c) => c.table === 'customers').length, 2);
      assert.equal(sink.batches[5]?.changes.filter((c) => c.table === 'orders').length, 12);
      const big = sink.contents('orders').find(([row]) => row.includes('"id":300'))?.[0];
      assert.match(big ?? '', /"big":"9007199254740993"/);
      assert.match(big ?? '', /"amount":"12345678901.99"/);
      const positions = sink.batches.map((b) => b.position);
      assert.deepEqual([...positions].sort(byLsn), positions, 'positions only grow');
      assert.equal(source.status().transactions, TRANSACTIONS.length + 1);
    } finally {
      source.stop();
      await running;
    }
    assert.ok(
      log.lines.some((l) => /initial snapshot of 53 rows/.test(l)),
      log.lines.join('\n'),
    );
  });
});

function byLsn(a: string, b: string): number {
  const value = (lsn: string): bigint => {
    const [high, low] = lsn.split('/');
    return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
  };
  return value(a) < value(b) ? -1 : value(a) > value(b) ? 1 : 0;
}
