/**
 * The engine's ingest of input changes: several declared tables, retractions (an update is a
 * retraction plus an insertion), duplicate rows and values as a change-data-capture source gives
 * them (int8 beyond 2^53 and numeric as strings, timestamps as Postgres text). One call is one
 * timestamp on both paths: the delta path's aggregate and the PGlite path's join agree with what
 * the rows say.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Recorder, startEngine, tempDir, writeViews } from './support/engine.js';

const VIEWS = `
CREATE TABLE customers (id integer, region text);
CREATE TABLE orders (id bigint, customer_id integer, amount numeric, created_at timestamp with time zone);
CREATE MATERIALIZED VIEW per_customer AS
  SELECT customer_id, sum(amount) AS revenue, count(*) AS orders, max(id) AS last_id, min(created_at) AS first_at
  FROM orders GROUP BY customer_id;
CREATE MATERIALIZED VIEW per_region AS
  SELECT c.region, sum(o.amount) AS revenue, count(*) AS orders
  FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY c.region;
`;

/** A view's state as rows of texts with their counts. */
const texts = (state: Array<[unknown[], number]>): string[] =>
  state.map(([row, n]) => `${row.map((v) => (v === null ? 'null' : String(v))).join('|')} x${n}`).sort();

describe('engine ingest of input changes', { timeout: 120_000 }, () => {
  const dir = tempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('applies inserts, retractions and duplicates of several tables on both paths', async () => {
    const engine = await startEngine(writeViews(VIEWS, dir), { dataDir: join(dir, 'data') });
    try {
      assert.deepEqual(
        engine.views.map((v) => `${v.name}:${v.path}`),
        ['per_customer:delta', 'per_region:pglite'],
      );
      const customers = new Recorder(engine, 'per_customer');
      const regions = new Recorder(engine, 'per_region');
      const order = (id: string | number, customer: number, amount: string, at: string) => ({
        table: 'orders',
        row: { id, customer_id: customer, amount, created_at: at },
      });
      const t1 = await engine.ingestChanges(
        [
          { table: 'customers', row: { id: 1, region: 'north' }, diff: 1 },
          { table: 'customers', row: { id: 2, region: 'south' }, diff: 1 },
          { ...order('9007199254740993', 1, '10.50', '2026-12-01 10:00:00.5+00'), diff: 1 },
          { ...order(2, 1, '5', '2026-12-01 09:00:00+00'), diff: 1 },
          { ...order(3, 2, '1.25', '2026-12-01 11:00:00+00'), diff: 2 },
        ],
        { test: '1' },
      );
      // Customer 1 moves south; order 2 is deleted; one copy of the duplicate order 3 goes.
      const t2 = await engine.ingestChanges(
        [
          { table: 'customers', row: { id: 1, region: 'north' }, diff: -1 },
          { table: 'customers', row: { id: 1, region: 'south' }, diff: 1 },
          { ...order(2, 1, '5', '2026-12-01 09:00:00+00'), diff: -1 },
          { ...order(3, 2, '1.25', '2026-12-01 11:00:00+00'), diff: -1 },
        ],
        { test: '2' },
      );
      await customers.reach(t2);
      await regions.reach(t2);
      assert.deepEqual(texts(customers.stateAt(t1)), [
        '1|15.50|2|9007199254740993|2026-12-01 09:00:00+00 x1',
        '2|2.50|2|3|2026-12-01 11:00:00+00 x1',
      ]);
      assert.deepEqual(texts(regions.stateAt(t1)), ['north|15.50|2 x1', 'south|2.50|2 x1']);
      assert.deepEqual(texts(customers.stateAt(t2)), [
        '1|10.50|1|9007199254740993|2026-12-01 10:00:00.5+00 x1',
        '2|1.25|1|3|2026-12-01 11:00:00+00 x1',
      ]);
      assert.deepEqual(texts(regions.stateAt(t2)), ['south|11.75|2 x1']);
      assert.equal(await engine.resumePosition('test'), '2');
      // A change of a table the views file does not declare is refused, and the engine goes on.
      await assert.rejects(
        engine.ingestChanges([{ table: 'nowhere', row: {}, diff: 1 }], { test: '3' }),
        /does not declare/,
      );
    } finally {
      await engine.close();
    }
  });
});
