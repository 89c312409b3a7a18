/**
 * views/orders.sql over the postgres source, fed by the load generator's shop: after the snapshot
 * and after every upstream transaction, every view computed over the replicated rows (in PGlite, the
 * engine's Postgres) equals the same view's SQL run on the upstream database, joins included, and a
 * customer moving region moves their revenue.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { connectPlain } from '../src/sources/postgres/connection.js';
import type { ReplicatedTable } from '../src/sources/postgres/interface.js';
import { PostgresSource } from '../src/sources/postgres/postgres-source.js';
import {
  ORDERS_SCHEMA,
  nextTransaction,
  seedCustomers,
  seededRandom,
  transactionSql,
} from '../scripts/orders-workload.js';
import { NO_POSTGRES, startCluster, type PostgresCluster } from './support/postgres-cluster.js';
import { memoryLog, ReplicaSink } from './support/postgres-replica.js';
import { projectRoot } from './support/shared-data.js';

interface ViewsFile {
  statements: string[];
  tables: ReplicatedTable[];
  views: Array<{ name: string; query: string }>;
}

/** The statements of a views file without comments (this one has no `;` or `--` inside strings). */
async function readViews(): Promise<ViewsFile> {
  const text = (await readFile(`${projectRoot}views/orders.sql`, 'utf8')).replace(/--.*$/gm, '');
  const statements = text
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
  const tables: ReplicatedTable[] = [];
  const views: ViewsFile['views'] = [];
  for (const statement of statements) {
    const table = /^CREATE TABLE (\w+) \(([\s\S]*)\)$/i.exec(statement);
    const view = /^CREATE MATERIALIZED VIEW (\w+) AS\s+([\s\S]*)$/i.exec(statement);
    if (table) {
      const columns = (table[2] ?? '').split(',').map((c) => /^\s*(\w+)\s+([\s\S]+?)\s*$/.exec(c));
      tables.push({
        name: table[1] as string,
        columns: columns.map((m) => ({ name: m?.[1] ?? '', type: m?.[2] ?? '' })),
      });
    } else if (view) views.push({ name: view[1] as string, query: view[2] as string });
  }
  return { statements, tables, views };
}

/** A view's rows as sorted JSON text, the same way on both sides (jsonb, TimeZone UTC). */
const asJson = (query: string): string => `SELECT to_jsonb(v)::text AS row FROM (${query}) v ORDER BY 1`;

describe('views/orders.sql over replicated tables', { skip: NO_POSTGRES, timeout: 300_000 }, () => {
  let cluster: PostgresCluster;
  let mirror: PGlite;
  let file: ViewsFile;
  before(async () => {
    file = await readViews();
    cluster = await startCluster();
    mirror = new PGlite();
    await mirror.exec("SET TimeZone = 'UTC'");
    for (const statement of file.statements)
      await mirror.exec(statement.replace(/MATERIALIZED VIEW/i, 'VIEW'));
  });
  after(async () => {
    await mirror?.close();
    await cluster?.stop();
  });

  async function assertViewsMatch(sink: ReplicaSink, when: string): Promise<void> {
    for (const table of file.tables) {
      await mirror.exec(`DELETE FROM ${table.name}`);
      const rows = sink.contents(table.name).flatMap(([json, count]) => Array<string>(count).fill(json));
      await mirror.query(
        `INSERT INTO ${table.name} SELECT * FROM jsonb_populate_recordset(NULL::${table.name}, $1::jsonb)`,
        [`[${rows.join(',')}]`],
      );
    }
    const upstream = await connectPlain(cluster.url());
    try {
      for (const view of file.views) {
        const expected = (await upstream.query<{ row: string }>(asJson(view.query))).rows.map((r) => r.row);
        const actual = (await mirror.query<{ row: string }>(asJson(view.query))).rows.map((r) => r.row);
        assert.deepEqual(actual, expected, `view ${view.name} after ${when}`);
      }
    } finally {
      await upstream.end();
    }
  }

  it('every view equals its SQL upstream after the snapshot and after each transaction', async () => {
    const random = seededRandom(20261201);
    await cluster.sql(ORDERS_SCHEMA);
    await cluster.sql(seedCustomers(random));
    for (let i = 0; i < 30; i++) await cluster.sql(transactionSql(nextTransaction(random)));
    const sink = new ReplicaSink();
    const source = new PostgresSource({ url: cluster.url(), tables: file.tables, log: memoryLog() });
    const running = source.run(sink, null);
    try {
      await sink.received(1);
      await assertViewsMatch(sink, 'the snapshot');
      for (let i = 0; i < 25; i++) {
        const statements = nextTransaction(random);
        await cluster.sql(transactionSql(statements));
        await sink.received(i + 2);
        await assertViewsMatch(sink, `transaction ${i + 1}: ${statements.join('; ')}`);
      }
      // A dimension row changes: the customer with the most revenue moves to a region of its own.
      const before = await mirror.query<{ id: number }>(
        'SELECT id FROM top_customers ORDER BY revenue DESC LIMIT 1',
      );
      const top = before.rows[0]?.id;
      assert.ok(top !== undefined);
      await cluster.sql(`UPDATE customers SET region = 'moon', name = 'Moved' WHERE id = ${top}`);
      await sink.received(27);
      await assertViewsMatch(sink, 'a customer moving');
      const moon = await mirror.query('SELECT * FROM revenue_per_region WHERE region = $1', ['moon']);
      assert.equal(moon.rows.length, 1, 'the revenue moved with the customer');
      const renamed = await mirror.query('SELECT name FROM top_customers WHERE id = $1', [top]);
      assert.deepEqual(renamed.rows, [{ name: 'Moved' }]);
    } finally {
      source.stop();
      await running;
    }
  });
});
