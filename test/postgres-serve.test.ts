/**
 * `viewcast serve --views views/orders.sql --source postgres://...` as users run it (a child
 * process with a data directory): after the snapshot and after every upstream transaction, every
 * view served over HTTP equals the same view's SQL run upstream (delta-path aggregates and the
 * PGlite-path joins), a customer moving region moves their revenue, writes the views do not read do
 * not hold the slot back, and a SIGKILL of viewcast and a restart of Postgres neither lose nor repeat a
 * transaction.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import {
  ORDERS_SCHEMA,
  nextTransaction,
  seedCustomers,
  seededRandom,
  transactionSql,
} from '../scripts/orders-workload.js';
import { startViewcast, type RunningViewcast } from './support/child-server.js';
import { tempDir } from './support/engine.js';
import { NO_POSTGRES, startCluster, type PostgresCluster } from './support/postgres-cluster.js';
import { projectRoot } from './support/shared-data.js';

/** The views of views/orders.sql: name and SQL after AS (the file has no `;` inside its SQL). */
async function orderViews(): Promise<Array<{ name: string; query: string }>> {
  const text = (await readFile(`${projectRoot}views/orders.sql`, 'utf8')).replace(/--.*$/gm, '');
  return text
    .split(';')
    .map((s) => /CREATE MATERIALIZED VIEW (\w+) AS\s+([\s\S]*)$/i.exec(s.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[1] as string, query: m[2] as string }));
}

/** Rows as sorted JSON texts of their values in Postgres's text form. */
const normalized = (rows: unknown[][]): string[] =>
  rows.map((row) => JSON.stringify(row.map((v) => (v === null ? null : String(v))))).sort();

describe('serve --source postgres:// with views/orders.sql', { skip: NO_POSTGRES, timeout: 180_000 }, () => {
  let cluster: PostgresCluster;
  let views: Array<{ name: string; query: string }>;
  let dir: string;
  let viewcast: RunningViewcast | null = null;
  const random = seededRandom(20261201);

  before(async () => {
    views = await orderViews();
    cluster = await startCluster();
    dir = tempDir('viewcast-pg-serve-');
    await cluster.sql(ORDERS_SCHEMA);
    await cluster.sql(seedCustomers(random));
    for (let i = 0; i < 20; i++) await cluster.sql(transactionSql(nextTransaction(random)));
  });
  after(async () => {
    await viewcast?.kill();
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const start = async (): Promise<RunningViewcast> =>
    startViewcast(['--views', 'views/orders.sql', '--source', cluster.url(), '--data-dir', `${dir}/data`]);

  async function upstream(): Promise<Map<string, string[]>> {
    const client = new pg.Client({
      connectionString: cluster.url(),
      // Every value in Postgres's text form, as viewcast's wire form gives them.
      types: { getTypeParser: () => (value: string) => value },
    });
    await client.connect();
    try {
      await client.query(`SET TimeZone = 'UTC'`);
      const result = new Map<string, string[]>();
      for (const view of views) {
        const rows = await client.query<unknown[]>({ text: view.query, rowMode: 'array' });
        result.set(view.name, normalized(rows.rows));
      }
      return result;
    } finally {
      await client.end();
    }
  }

  async function served(url: string, view: string): Promise<string[] | null> {
    const response = await fetch(`${url}/api/views/${view}`);
    if (!response.ok) return null;
    const body = (await response.json()) as { rows: unknown[][] };
    return normalized(body.rows);
  }

  /**
   * Waits until every view viewcast serves equals its SQL upstream (a lost or repeated transaction
   * never gets there); on timeout, reports the first view that differs.
   */
  async function assertViewsMatch(when: string): Promise<void> {
    const expected = await upstream();
    const url = viewcast?.url ?? '';
    const deadline = Date.now() + 30_000;
    for (;;) {
      let differing: { view: string; actual: string[] | null; expected: string[] } | null = null;
      for (const [view, rows] of expected) {
        const actual = await served(url, view);
        if (JSON.stringify(actual) !== JSON.stringify(rows)) {
          differing = { view, actual, expected: rows };
          break;
        }
      }
      if (!differing) return;
      if (Date.now() > deadline)
        assert.deepEqual(differing.actual, differing.expected, `view ${differing.view} after ${when}`);
      // The next commit arrives through the source: look again once the event loop turned.
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async function transactions(n: number, label: string): Promise<void> {
    for (let i = 0; i < n; i++) {
      const statements = nextTransaction(random);
      await cluster.sql(transactionSql(statements));
      await assertViewsMatch(`${label} ${i + 1}: ${statements.join('; ')}`);
    }
  }

  it('serves the snapshot and every live transaction as upstream computes them', async () => {
    viewcast = await start();
    await assertViewsMatch('the snapshot');
    const status = (await (await fetch(`${viewcast.url}/api/status`)).json()) as {
      sources: Array<{ kind: string; error: string | null; committed: string | null }>;
    };
    assert.equal(status.sources[0]?.kind, 'postgres');
    assert.equal(status.sources[0]?.error, null);
    assert.match(status.sources[0]?.committed ?? '', /^[0-9A-F]+\/[0-9A-F]+$/);
    await transactions(12, 'transaction');
  });

  it('moves every dependent aggregate when a customer moves region', async () => {
    const url = viewcast?.url ?? '';
    const top = (await served(url, 'top_customers')) ?? [];
    assert.ok(top.length > 0);
    const [first] = await cluster
      .sql(
        `SELECT c.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.status <> 'cancelled'
       GROUP BY c.id ORDER BY sum(o.amount) DESC, c.id LIMIT 1`,
      )
      .then((r) => r.rows as Array<{ id: number }>);
    assert.ok(first);
    await cluster.sql(`UPDATE customers SET region = 'moon', name = 'Moved' WHERE id = ${first.id}`);
    await assertViewsMatch('a customer moving');
    const regions = (await served(url, 'revenue_per_region')) ?? [];
    assert.ok(
      regions.some((row) => row.startsWith('["moon"')),
      'the revenue moved with the customer',
    );
    const customers = (await served(url, 'top_customers')) ?? [];
    assert.ok(
      customers.some((row) => row.includes('"Moved"')),
      'the top customer is renamed',
    );
  });

  it('resumes after a SIGKILL without losing or repeating a transaction', async () => {
    await viewcast?.kill();
    viewcast = null;
    for (let i = 0; i < 5; i++) await cluster.sql(transactionSql(nextTransaction(random)));
    viewcast = await start();
    await viewcast.waitFor(/resuming after position/);
    await assertViewsMatch('the restart after SIGKILL');
    await transactions(4, 'after SIGKILL, transaction');
  });

  it('lets Postgres move the slot on over writes the views do not read', async () => {
    // Unacknowledged, that WAL would be kept for the slot without end.
    await cluster.sql('CREATE TABLE unrelated (id serial PRIMARY KEY, note text)');
    await cluster.sql(`INSERT INTO unrelated (note) SELECT repeat('x', 500) FROM generate_series(1, 20000)`);
    const wal = (await cluster.sql('SELECT pg_current_wal_lsn()::text AS wal')).rows[0] as { wal: string };
    const behind = async (): Promise<number> => {
      const { rows } = await cluster.sql(
        'SELECT pg_wal_lsn_diff($1, confirmed_flush_lsn)::float8 AS behind FROM pg_replication_slots',
        [wal.wal],
      );
      return (rows[0] as { behind: number }).behind;
    };
    const deadline = Date.now() + 60_000;
    for (let left = await behind(); left > 0; left = await behind()) {
      assert.ok(Date.now() < deadline, `the slot stayed ${left} bytes behind ${wal.wal}`);
      // Acknowledgements come with the server's keepalives: look again once the event loop turned.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await assertViewsMatch('writes to a table the views do not read');
  });

  it('carries on across a restart of Postgres', async () => {
    // A write the views do not read just before the shutdown: Postgres's fast shutdown waits until
    // viewcast has confirmed every WAL record sent, including it.
    await cluster.sql(`INSERT INTO unrelated (note) VALUES ('just before the restart')`);
    await cluster.restart();
    await transactions(4, 'after the Postgres restart, transaction');
  });
});
