/**
 * What the postgres source does when upstream is not as it needs: each case stops it with one
 * ViewcastError (a stable code, a message that says what to do), never a retry loop or silent drift.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ViewcastError } from '../src/core/errors.js';
import type { ReplicatedTable } from '../src/sources/postgres/interface.js';
import { PostgresSource } from '../src/sources/postgres/postgres-source.js';
import { NO_POSTGRES, startCluster, type PostgresCluster } from './support/postgres-cluster.js';
import { memoryLog, ReplicaSink } from './support/postgres-replica.js';
import { SHOP_SCHEMA, SHOP_TABLES } from './support/postgres-shop.js';

const ITEMS: ReplicatedTable = {
  name: 'items',
  columns: [
    { name: 'id', type: 'integer' },
    { name: 'qty', type: 'integer' },
  ],
};

/** Runs a source to its end and returns the error it stopped with. */
async function failure(
  url: string,
  tables: ReplicatedTable[],
  resume: string | null = null,
  slot?: string,
  sink = new ReplicaSink(),
): Promise<ViewcastError> {
  const log = memoryLog();
  const source = new PostgresSource({ url, tables, log, ...(slot ? { slot } : {}) });
  const error = await source.run(sink, resume).then(
    () => assert.fail('the source should have stopped with an error'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ViewcastError, String(error));
  assert.ok(!log.lines.some((l) => l.startsWith('warn')), `no retries:\n${log.lines.join('\n')}`);
  return error;
}

describe('postgres source: clear failures', { skip: NO_POSTGRES, timeout: 180_000 }, () => {
  let cluster: PostgresCluster;
  before(async () => {
    cluster = await startCluster();
    await cluster.sql(SHOP_SCHEMA);
    await cluster.sql(`CREATE TABLE items (id integer PRIMARY KEY, qty integer); ALTER TABLE items REPLICA IDENTITY FULL;
      CREATE TABLE keyed (id integer PRIMARY KEY); CREATE ROLE reader LOGIN; GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader`);
  });
  after(async () => cluster?.stop());

  it('wal_level other than logical', async () => {
    const other = await startCluster({ walLevel: 'replica' });
    try {
      const error = await failure(other.url(), SHOP_TABLES.slice(0, 1));
      assert.equal(error.code, 'VIEWCAST_PG_WAL_LEVEL');
      assert.match(error.message, /wal_level=replica.*ALTER SYSTEM SET wal_level = logical.*restart/s);
    } finally {
      await other.stop();
    }
  });

  it('a role without the REPLICATION attribute', async () => {
    const error = await failure(cluster.url('reader'), SHOP_TABLES);
    assert.equal(error.code, 'VIEWCAST_PG_PRIVILEGE');
    assert.match(error.message, /ALTER ROLE "reader" WITH REPLICATION/);
  });

  it('a database that does not exist', async () => {
    const error = await failure(cluster.url().replace(/\/postgres$/, '/nowhere'), SHOP_TABLES);
    assert.equal(error.code, 'VIEWCAST_PG_DATABASE');
    assert.match(error.message, /"nowhere" does not exist.*fix the database name in --source/);
  });

  it('a declared table missing upstream', async () => {
    const error = await failure(cluster.url(), [
      { name: 'invoices', columns: [{ name: 'id', type: 'int' }] },
    ]);
    assert.equal(error.code, 'VIEWCAST_PG_TABLE');
    assert.match(error.message, /declares table invoices/);
  });

  it('a declared column missing upstream, or of another type', async () => {
    const declared = [
      {
        name: 'items',
        columns: [
          { name: 'id', type: 'bigint' },
          { name: 'discount', type: 'numeric' },
        ],
      },
    ];
    const error = await failure(cluster.url(), declared);
    assert.equal(error.code, 'VIEWCAST_PG_COLUMNS');
    assert.match(
      error.message,
      /column id is integer upstream, bigint in the views file; column discount is missing upstream/,
    );
  });

  it('a table without REPLICA IDENTITY FULL', async () => {
    const error = await failure(cluster.url(), [
      { name: 'keyed', columns: [{ name: 'id', type: 'integer' }] },
    ]);
    assert.equal(error.code, 'VIEWCAST_PG_REPLICA_IDENTITY');
    assert.match(error.message, /ALTER TABLE keyed REPLICA IDENTITY FULL/);
  });

  it('a slot that was dropped while viewcast was stopped', async () => {
    const sink = new ReplicaSink();
    const source = new PostgresSource({
      url: cluster.url(),
      tables: [ITEMS],
      log: memoryLog(),
      slot: 'dropped',
    });
    const running = source.run(sink, null);
    await sink.received(1);
    source.stop();
    await running;
    await cluster.sql(`SELECT pg_drop_replication_slot('dropped')`);
    const error = await failure(cluster.url(), [ITEMS], sink.committed, 'dropped', new ReplicaSink(sink));
    assert.equal(error.code, 'VIEWCAST_PG_SLOT_LOST');
    assert.match(error.message, /"dropped" no longer exists.*new data directory/s);
  });

  it('an existing slot named with --pg-slot when there is no position to resume from', async () => {
    await cluster.sql(`SELECT pg_create_logical_replication_slot('theirs', 'pgoutput')`);
    const error = await failure(cluster.url(), [ITEMS], null, 'theirs');
    assert.equal(error.code, 'VIEWCAST_PG_SLOT');
    assert.match(error.message, /pg_drop_replication_slot\('theirs'\)/);
  });

  it('a column type change upstream while replicating: stops before the change', async () => {
    const sink = new ReplicaSink();
    const log = memoryLog();
    const source = new PostgresSource({ url: cluster.url(), tables: [ITEMS], log, slot: 'altered' });
    const running = source.run(sink, null).then(
      () => assert.fail('should stop'),
      (e: unknown) => e as ViewcastError,
    );
    await sink.received(1);
    await cluster.sql('INSERT INTO items VALUES (1, 1)');
    await sink.received(2);
    await cluster.sql('ALTER TABLE items ALTER COLUMN qty TYPE bigint; INSERT INTO items VALUES (2, 2)');
    const error = await running;
    assert.equal(error.code, 'VIEWCAST_PG_SCHEMA_CHANGED');
    assert.match(error.message, /column qty changed type/);
    assert.equal(
      sink.batches.length,
      2,
      `nothing of the new layout was applied: ${JSON.stringify(sink.batches.slice(2))}`,
    );
    await cluster.sql(
      'DROP TABLE items; CREATE TABLE items (id integer PRIMARY KEY, qty integer); ALTER TABLE items REPLICA IDENTITY FULL',
    );
  });

  it('a TRUNCATE of a replicated table', async () => {
    const sink = new ReplicaSink();
    const source = new PostgresSource({
      url: cluster.url(),
      tables: [SHOP_TABLES[0] as ReplicatedTable],
      log: memoryLog(),
      slot: 'truncated',
    });
    const running = source.run(sink, null).then(
      () => assert.fail('should stop'),
      (e: unknown) => e as ViewcastError,
    );
    await sink.received(1);
    await cluster.sql('TRUNCATE customers CASCADE');
    const error = await running;
    assert.equal(error.code, 'VIEWCAST_PG_TRUNCATE');
    assert.match(error.message, /TRUNCATE of customers/);
  });
});
