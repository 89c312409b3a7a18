/**
 * Tools written for Materialize against viewcast's Postgres wire, on a replayed recording (the
 * views hold still once it is applied): a psycopg set-up script then TAIL, binary parameters and
 * results (psycopg, node-postgres), SELECTs with full Postgres semantics compared with PGlite's
 * own answer over the same rows, and psql's catalog commands (\dv, \d top10, \dt).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { App } from '../src/cli/app.js';
import { formatValue, typeOid } from '../src/core/pg-types.js';
import { waitForChannel } from './support/pg-wire.js';
import { quietLog, startTestApp } from './support/server.js';
import { startPgServer, type RunningPgServer } from '../src/pgwire/server.js';
import { projectRoot, recording, RECORDING_2476 } from './support/shared-data.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const raw: Record<number, (text: string) => string> = {};
for (let oid = 1; oid < 16384; oid++) raw[oid] = (text) => text;

describe('Materialize tools on the Postgres wire', { timeout: 180_000 }, () => {
  let app: App;
  let url: string;
  let client: pg.Client;
  let oracle: PGlite;
  let pgServer: RunningPgServer;

  before(async () => {
    app = await startTestApp([
      '--source',
      `replay:${recording(RECORDING_2476)}`,
      '--speed',
      'max',
      '--memory',
    ]);
    await app.sourcesDone;
    await waitForChannel(app.hub.require('counter'), (c) => Number(c.rows.rows()[0]?.[0]) === 2476);
    pgServer = await startPgServer({
      hub: app.hub,
      host: '127.0.0.1',
      port: 0,
      password: null,
      log: quietLog,
      setup: { inputRelation: 'recentchanges', sources: [`replay ${RECORDING_2476}`] },
    });
    url = pgServer.url;
    client = new pg.Client({ connectionString: url, types: { getTypeParser: () => (text: string) => text } });
    await client.connect();
    // The oracle: PGlite itself over the same rows, as tables named like the views.
    oracle = await PGlite.create({ parsers: raw });
    for (const channel of app.hub.views) {
      const columns = channel.info.columns.map((c) => `"${c.name}" ${c.type}`).join(', ');
      await oracle.exec(`CREATE TABLE "${channel.name}" (${columns})`);
      const rows = channel.rows
        .rows()
        .map((row) => row.map((v, i) => formatValue(v, typeOid(channel.info.columns[i]?.type ?? 'text'))));
      const casts = channel.info.columns.map((c, i) => `(r->>${i})::${c.type}`).join(', ');
      await oracle.query(
        `INSERT INTO "${channel.name}" SELECT ${casts} FROM json_array_elements($1::json) r`,
        [JSON.stringify(rows)],
      );
    }
  });

  after(async () => {
    await client?.end();
    await oracle?.close();
    await pgServer?.close();
    await app?.close();
  });

  const sorted = (rows: unknown[][]): string[] => rows.map((r) => JSON.stringify(r)).sort();

  it('answers SELECTs as Postgres does: GROUP BY, joins between views, expressions, LIKE, CASE, DISTINCT, numeric comparisons', async () => {
    const queries = [
      'SELECT count(*) FROM user_edits WHERE count > 9',
      'SELECT "user", count FROM user_edits WHERE count > 9 ORDER BY count DESC, "user"',
      'SELECT count > 50 AS big, count(*), sum(count), avg(count)::numeric(20,4) FROM user_edits GROUP BY 1 ORDER BY 1',
      'SELECT t."user", t.count, round(100.0 * t.count / c.count, 2) AS share FROM top10 t CROSS JOIN counter c ORDER BY t.count DESC, t."user"',
      'SELECT u."user" FROM user_edits u JOIN top10 t USING ("user") ORDER BY 1',
      `SELECT "user", CASE WHEN count >= 100 THEN 'many' WHEN count >= 10 THEN 'some' ELSE 'few' END AS kind FROM user_edits WHERE "user" LIKE 'A%' ORDER BY 1`,
      'SELECT DISTINCT count FROM user_edits ORDER BY count DESC LIMIT 5',
      'SELECT upper(left("user", 3)) || \'…\' AS short, count * 2 + 1 AS odd FROM top10 ORDER BY odd DESC, short',
    ];
    for (const sql of queries) {
      const ours = await client.query({ text: sql, rowMode: 'array' });
      const theirs = await oracle.query<unknown[]>(sql, [], { rowMode: 'array' });
      assert.deepEqual(sorted(ours.rows as unknown[][]), sorted(theirs.rows), sql);
      assert.deepEqual(
        ours.fields.map((f) => f.dataTypeID),
        theirs.fields.map((f) => f.dataTypeID),
        sql,
      );
    }
    const big = await client.query({
      text: 'SELECT count FROM user_edits WHERE count > 9',
      rowMode: 'array',
    });
    assert.ok(
      big.rows.some((r) => Number(r[0]) >= 100),
      'counts of 100 and more compare as numbers',
    );
  });

  it('psycopg: a set-up script of CREATE ... IF NOT EXISTS runs, then TAIL counter; LIMIT %s and binary results', async () => {
    const { stdout } = await run(PYTHON, [`${projectRoot}test/support/psycopg-setup.py`, url]);
    const out = JSON.parse(stdout) as Record<string, unknown[]>;
    const notices = out['notices'] as string[][];
    assert.match(notices[0]?.[1] ?? '', /viewcast runs its sources itself: .*replay/);
    assert.match(notices[0]?.[2] ?? '', /--source/);
    assert.deepEqual(notices[1]?.slice(0, 2), ['42P07', 'relation "counter" already exists, skipping']);
    assert.deepEqual(notices[2]?.slice(0, 2), ['42P07', 'relation "recentchanges" already exists, skipping']);
    assert.equal(out['refused']?.[0], '25006');
    const tail = out['tail'] as unknown[][];
    assert.equal(tail[0]?.[1], true);
    assert.deepEqual(tail[1]?.slice(1), [false, 1, 2476]);
    const limit = out['limit'] as unknown[][];
    assert.equal(limit.length, 3);
    const top = app.hub
      .require('top10')
      .rows.rows()
      .sort((a, b) => Number(b[1]) - Number(a[1]));
    assert.equal(limit[0]?.[1], Number(top[0]?.[1]));
    assert.deepEqual(out['binary_types'], [
      'str',
      'int',
      'Decimal',
      'bool',
      'date',
      'datetime',
      'dict',
      'float',
    ]);
    const binary = out['binary'] as unknown[];
    assert.equal(binary[0], top[0]?.[0]);
    assert.equal(Number(binary[2]), Number(top[0]?.[1]) / 2);
    assert.equal(binary[3], Number(top[0]?.[1]) > 5);
    assert.deepEqual(binary.slice(6), [{ a: 1 }, 1.5]);
  });

  it('node-postgres in binary mode reads every column type', async () => {
    // `binary` is a node-postgres option its type definitions leave out.
    const binary = new pg.Client({ connectionString: url, binary: true } as pg.ClientConfig);
    await binary.connect();
    try {
      const result = await binary.query(
        'SELECT "user", count, count::int4 AS c4, count::float8 AS f, true AS t FROM top10 ORDER BY count DESC LIMIT 1',
      );
      const row = result.rows[0] as Record<string, unknown>;
      assert.equal(typeof row['user'], 'string');
      assert.equal(row['c4'], Number(row['count']));
      assert.equal(row['f'], Number(row['count']));
      assert.equal(row['t'], true);
    } finally {
      await binary.end();
    }
  });

  it('psql: \\dv lists the served views, \\d top10 their columns, \\dt finds no tables', async () => {
    const dv = (await run('psql', [url, '-c', '\\dv'])).stdout;
    for (const view of ['counter', 'top10', 'user_edits'])
      assert.match(dv, new RegExp(`\\| ${view} +\\| view`));
    assert.doesNotMatch(dv, /recentchanges|viewcast/);
    const d = (await run('psql', [url, '-c', '\\d top10'])).stdout;
    assert.match(d, /View "public.top10"/);
    assert.match(d, /user +\| text/);
    assert.match(d, /count +\| bigint/);
    const dt = await run('psql', [url, '-c', '\\dt']);
    assert.match(dt.stdout + dt.stderr, /Did not find any relations/);
  });
});
