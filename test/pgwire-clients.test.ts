/**
 * The Postgres-wire SUBSCRIBE server with the clients it is for, all real: psql (COPY ... TO
 * STDOUT), Debian's psycopg (cursor.stream over the extended protocol), node-postgres
 * (DECLARE/FETCH), against a real viewcast fed by the simulator so that top10 keeps changing.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { App } from '../src/cli/app.js';
import type { RunningPgServer } from '../src/pgwire/server.js';
import { pgClient, sqlstateOf, startTestPgServer, waitForChannel } from './support/pg-wire.js';
import { startTestApp } from './support/server.js';
import { projectRoot } from './support/shared-data.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';

describe('Postgres-wire SUBSCRIBE server with psql, psycopg and node-postgres', { timeout: 120_000 }, () => {
  let app: App;
  let pg: RunningPgServer;
  let url: string;

  before(async () => {
    app = await startTestApp(['--source', 'simulate', '--rate', '200', '--seed', '7', '--memory']);
    await waitForChannel(app.hub.require('top10'), (c) => c.rows.size === 10);
    pg = await startTestPgServer(app.hub);
    url = `postgresql://materialize@127.0.0.1:${pg.port}/materialize`;
  });

  after(async () => {
    await pg?.close();
    await app?.close();
  });

  it('psql: COPY (SUBSCRIBE top10 WITH (PROGRESS)) TO STDOUT prints a progress line, ten rows, then live changes', async () => {
    // stdbuf makes psql's stdout line-buffered on a pipe, as it is on a terminal.
    const psql = spawn(
      'stdbuf',
      ['-oL', 'psql', url, '-c', 'COPY (SUBSCRIBE top10 WITH (PROGRESS)) TO STDOUT'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    psql.stderr.on('data', (d) => (stderr += String(d)));
    const lines: string[][] = [];
    for await (const line of createInterface({ input: psql.stdout })) {
      lines.push(line.split('\t'));
      const first = Number(lines[0]?.[0]);
      if (lines.length > 12 && line.split('\t')[1] === 'f' && Number(line.split('\t')[0]) > first) break;
    }
    psql.kill();
    assert.equal(stderr, '');
    const [progress, ...rest] = lines;
    const snapshotTs = progress?.[0] as string;
    assert.deepEqual(progress, [snapshotTs, 't', '\\N', '\\N', '\\N']);
    const snapshot = rest.slice(0, 10);
    for (const row of snapshot) {
      assert.equal(row[0], snapshotTs);
      assert.equal(row[1], 'f');
      assert.equal(row[2], '1');
      assert.match(row[4] as string, /^\d+$/);
    }
    assert.deepEqual(rest[10]?.slice(1), ['t', '\\N', '\\N', '\\N']);
    assert.equal(Number(rest[10]?.[0]), Number(snapshotTs) + 1);
    const live = rest.slice(11).filter((row) => row[1] === 'f');
    assert.ok(live.length > 0);
    assert.ok(live.every((row) => Number(row[0]) > Number(snapshotTs)));
    // psql went away: its subscription is gone from the hub.
    await pg.whenSessions(0);
    assert.equal(app.hub.require('top10').listenerCount, 0);
  });

  it('psql: SELECT count(*) FROM top10 gives 10', async () => {
    const { stdout } = await run('psql', [url, '-tAc', 'SELECT count(*) FROM top10']);
    assert.equal(stdout.trim(), '10');
  });

  it('refuses SSL, so that a client requiring it is told at once', async () => {
    const refused = await run('psql', [`${url}?sslmode=require`, '-c', 'SELECT 1']).catch(
      (e: { stderr: string }) => e,
    );
    assert.match((refused as { stderr: string }).stderr, /server does not support SSL/);
  });

  it('psycopg: cursor.stream("TAIL top10 WITH (PROGRESS)") sees the snapshot, then live changes', async () => {
    assert.ok(existsSync(PYTHON), `${PYTHON} is needed (Debian's python3 with python3-psycopg)`);
    const { stdout } = await run(PYTHON, [`${projectRoot}test/support/psycopg-tail.py`, url]);
    const { rows, count_after } = JSON.parse(stdout) as { rows: unknown[][]; count_after: number };
    const [first, ...rest] = rows;
    assert.equal(first?.[1], true, 'the first row is a progress row');
    const snapshot = rest.slice(0, 10);
    assert.equal(snapshot.length, 10);
    for (const row of snapshot) assert.deepEqual([row[0], row[1], row[2]], [first?.[0], false, 1]);
    const last = rows[rows.length - 1] as unknown[];
    assert.equal(last[1], false);
    assert.ok(BigInt(last[0] as string) > BigInt(first?.[0] as string), 'a live change after the snapshot');
    assert.equal(count_after, 10, 'the connection is usable after the stream was cancelled');
  });

  it('node-postgres: BEGIN, DECLARE c CURSOR FOR SUBSCRIBE, FETCH n and FETCH ALL WITH (timeout)', async () => {
    const client = await pgClient(url);
    try {
      await client.query('BEGIN');
      await client.query('DECLARE c CURSOR FOR SUBSCRIBE top10 WITH (PROGRESS)');
      const three = await client.query({ text: 'FETCH 3 c', rowMode: 'array' });
      assert.deepEqual(
        three.fields.map((f) => [f.name, f.dataTypeID]),
        [
          ['mz_timestamp', 1700],
          ['mz_progressed', 16],
          ['mz_diff', 20],
          ['user', 25],
          ['count', 20],
        ],
      );
      assert.equal(three.rowCount, 3);
      const rows = [...(three.rows as unknown[][])];
      const snapshotTs = BigInt(rows[0]?.[0] as string);
      while (!rows.some((r) => r[1] === false && BigInt(r[0] as string) > snapshotTs)) {
        const more = await client.query({ text: "FETCH ALL c WITH (timeout = '1s')", rowMode: 'array' });
        rows.push(...(more.rows as unknown[][]));
      }
      const snapshot = rows.slice(1, 11);
      assert.ok(
        snapshot.every((r) => BigInt(r[0] as string) === snapshotTs && r[1] === false && r[2] === '1'),
      );
      assert.deepEqual(rows[11]?.slice(1), [true, null, null, null]);
      await client.query('COMMIT');
      assert.equal((await sqlstateOf(client, 'FETCH ALL c')).code, '34000', 'COMMIT closed the cursor');
    } finally {
      await client.end();
    }
  });

  it('answers SELECT with WHERE, ORDER BY, LIMIT and parameters, and SHOW VIEWS', async () => {
    const client = await pgClient(url);
    try {
      const top = await client.query(
        'SELECT "user", count FROM top10 WHERE count >= $1 ORDER BY count DESC, 1 LIMIT 3',
        [1],
      );
      assert.equal(top.rowCount, 3);
      const counts = top.rows.map((r: { count: string }) => Number(r.count));
      assert.deepEqual(
        counts,
        [...counts].sort((a, b) => b - a),
      );
      const views = await client.query('SHOW VIEWS');
      assert.deepEqual(
        views.rows.map((r: { name: string }) => r.name),
        ['counter', 'user_edits', 'top10', 'edits_per_second', 'recent_user_edits', 'top10_recent'],
      );
      const total = await client.query('SELECT sum(count) AS total, count(*) FROM user_edits');
      const counter = await client.query('SELECT count FROM counter');
      assert.ok(Number(total.rows[0].total) > 0 && Number(counter.rows[0].count) > 0);
    } finally {
      await client.end();
    }
  });

  it('refuses writes (25006), unknown views (42P01), bad syntax (42601) and misused cursors', async () => {
    const client = await pgClient(url);
    try {
      assert.equal((await sqlstateOf(client, "INSERT INTO recentchanges VALUES ('x')")).code, '25006');
      assert.equal((await sqlstateOf(client, 'CREATE VIEW v AS SELECT 1')).code, '25006');
      const unknown = await sqlstateOf(client, 'SUBSCRIBE nope');
      assert.deepEqual(unknown, { code: '42P01', message: "unknown catalog item 'nope'" });
      assert.equal((await sqlstateOf(client, 'SELEC 1')).code, '42601');
      assert.equal((await sqlstateOf(client, 'SUBSCRIBE top10 WITH (FAST)')).code, '42601');
      assert.equal((await sqlstateOf(client, 'SELECT nope FROM top10')).code, '42703');
      assert.equal((await sqlstateOf(client, 'DECLARE c CURSOR FOR SUBSCRIBE top10')).code, '25P01');
      assert.equal((await sqlstateOf(client, 'FETCH ALL nope')).code, '34000');
      await client.query('BEGIN');
      assert.equal((await sqlstateOf(client, 'SELECT * FROM nope')).code, '42P01');
      assert.equal((await sqlstateOf(client, 'SELECT 1')).code, '25P02');
      await client.query('ROLLBACK');
      assert.deepEqual((await client.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
    } finally {
      await client.end();
    }
  });

  it('asks for the password given with --pg-password', async () => {
    const guarded = await startTestPgServer(app.hub, 's3cret');
    try {
      const base = `127.0.0.1:${guarded.port}/materialize`;
      const wrong = await pgClient(`postgresql://materialize:wrong@${base}`).catch(
        (e: { code: string }) => e,
      );
      assert.equal((wrong as { code: string }).code, '28P01');
      const client = await pgClient(`postgresql://materialize:s3cret@${base}`);
      assert.equal((await client.query('SELECT count(*) FROM top10')).rows[0].count, '10');
      await client.end();
    } finally {
      await guarded.close();
    }
  });
});
