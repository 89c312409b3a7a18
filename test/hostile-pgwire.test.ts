/**
 * Hostile clients on the Postgres wire, with node-postgres (simple and extended protocol): every
 * way of writing, disguised behind comments, case, CTEs, multi-statement strings and prepared
 * statements, and SQL smuggled in as a view name. Each is refused with a SQLSTATE and a message,
 * the views hold exactly what they held, and other clients keep being served.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import type { App } from '../src/cli/app.js';
import type { RunningPgServer } from '../src/pgwire/server.js';
import { pgClient, startTestPgServer, waitForChannel } from './support/pg-wire.js';
import { startTestApp } from './support/server.js';
import { recording } from './support/shared-data.js';

const WRITES = [
  'INSERT INTO recentchanges ("user") VALUES (\'mallory\')',
  'insert into recentchanges select * from recentchanges',
  'UPDATE recentchanges SET "user" = \'mallory\'',
  'DELETE FROM recentchanges',
  '/* harmless */ DELETE FROM recentchanges',
  '-- a comment\nDELETE FROM recentchanges',
  '  dElEtE FROM recentchanges',
  'TRUNCATE recentchanges',
  'DROP VIEW top10',
  'DROP TABLE recentchanges CASCADE',
  'CREATE TABLE t (x int)',
  'CREATE MATERIALIZED VIEW v AS SELECT 1',
  'ALTER TABLE recentchanges ADD COLUMN x int',
  'GRANT ALL ON recentchanges TO PUBLIC',
  'VACUUM',
  'CALL p()',
  'LOCK TABLE recentchanges',
  'REFRESH MATERIALIZED VIEW top10',
];

/** Not writes by their first word, yet attempts to get one in: refused, each with some SQLSTATE. */
const SMUGGLED = [
  'DO $$ BEGIN DELETE FROM recentchanges; END $$',
  'WITH gone AS (DELETE FROM recentchanges RETURNING *) SELECT * FROM gone',
  'SELECT * FROM top10; DELETE FROM recentchanges',
  'COPY recentchanges FROM STDIN',
  "COPY recentchanges FROM '/etc/passwd'",
  'EXPLAIN ANALYZE DELETE FROM recentchanges',
  'PREPARE wipe AS DELETE FROM recentchanges',
  'SELECT pg_terminate_backend(pg_backend_pid())',
  "SELECT set_config('default_transaction_read_only', 'off', false)",
  'SELECT * FROM recentchanges',
  'SELECT * FROM pg_catalog.pg_authid',
  "SELECT lo_import('/etc/passwd')",
];

/** View names that carry SQL: never spliced into anything, refused as unknown views. */
const NAMES = [
  '"top10; DROP TABLE recentchanges; --"',
  '"top10\'--"',
  '"counter"" WHERE 1=1; --"',
  '"../../etc/passwd"',
  '"TOP10"',
];

describe('hostile clients on the Postgres wire', { timeout: 300_000 }, () => {
  let app: App;
  let server: RunningPgServer;
  let url: string;
  let client: pg.Client;

  before(async () => {
    app = await startTestApp([
      ...['--source', `replay:${recording('recentchange-2023-07-29-enwiki-100.jsonl')}`],
      ...['--speed', 'max', '--memory'],
    ]);
    await waitForChannel(app.hub.require('counter'), (c) => c.rows.count([100]) === 1);
    server = await startTestPgServer(app.hub);
    url = `postgresql://materialize@127.0.0.1:${server.port}/materialize`;
    client = await pgClient(url);
  });

  after(async () => {
    await client?.end();
    await server?.close();
    await app?.close();
  });

  /** The error a statement fails with, over the simple or the extended protocol. */
  async function refusal(sql: string, extended: boolean): Promise<{ code: string; message: string }> {
    try {
      if (extended) await client.query({ text: sql, values: [] });
      else await client.query(sql);
    } catch (error) {
      const { code, message } = error as { code: string; message: string };
      return { code, message };
    }
    throw new Error(`"${sql}" was accepted`);
  }

  async function unchanged(): Promise<void> {
    assert.deepEqual((await client.query('SELECT count FROM counter')).rows, [{ count: '100' }]);
    assert.equal(app.hub.require('counter').rows.count([100]), 1);
    const other = await pgClient(url);
    try {
      assert.equal((await other.query('SELECT * FROM top10')).rows.length, 10);
    } finally {
      await other.end();
    }
  }

  it('refuses every write with 25006 (read-only), over both protocols', async () => {
    for (const sql of WRITES) {
      for (const extended of [false, true]) {
        const { code, message } = await refusal(sql, extended);
        assert.equal(code, '25006', `${sql}: ${code} ${message}`);
        assert.match(message, /read-only/);
      }
    }
    await unchanged();
  });

  it('refuses writes smuggled past the first word, each with a SQLSTATE and a message', async () => {
    for (const sql of SMUGGLED) {
      const { code, message } = await refusal(sql, false);
      assert.match(code ?? '', /^[0-9A-Z]{5}$/, sql);
      assert.ok(message.length > 5, sql);
      // The session recovers: the next statement is answered.
      assert.equal((await client.query('SELECT count FROM counter')).rows.length, 1, sql);
    }
    await unchanged();
  });

  it('refuses view names carrying SQL as unknown views, in SUBSCRIBE, SELECT and DECLARE', async () => {
    for (const name of NAMES) {
      for (const sql of [
        `SELECT * FROM ${name}`,
        `SUBSCRIBE ${name}`,
        `COPY (SUBSCRIBE ${name}) TO STDOUT`,
        `TAIL ${name} WITH (PROGRESS)`,
      ]) {
        const { code, message } = await refusal(sql, false);
        assert.equal(code, '42P01', `${sql}: ${code} ${message}`);
        assert.match(message, /unknown catalog item/);
      }
    }
    await client.query('BEGIN');
    const { code } = await refusal(`DECLARE c CURSOR FOR SUBSCRIBE ${NAMES[0]}`, false);
    assert.equal(code, '42P01');
    await client.query('ROLLBACK');
    await unchanged();
  });
});
