/**
 * Values never crash anything: an integer that does not fit its column (1e19 or
 * 2^63 for a bigint, 2^31 for an integer) becomes NULL and is counted as skipped (`out-of-range`,
 * in /api/status), through POST /api/ingest and through a recording line; an integer that fits a
 * bigint but exceeds 2^53 keeps its exact value. Real server, real engine, HTTP on port 0.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { App } from '../src/cli/app.js';
import { parseJson, stringifyJson } from '../src/core/exact-json.js';
import { recordMapper } from '../src/ingest/records.js';
import { tempDir } from './support/engine.js';
import { waitForChannel } from './support/pg-wire.js';
import { getJson, startTestApp } from './support/server.js';
import { recording, RECORDING_2476 } from './support/shared-data.js';

const TOKEN = 'values-token';
const VIEWS = `
CREATE TABLE recentchanges (meta_id text, id bigint, namespace integer, r_ts bigint, length_new smallint);
CREATE VIEW counter AS SELECT count(*) AS n FROM recentchanges;
CREATE VIEW exact AS SELECT meta_id, id::text AS id, namespace, r_ts FROM recentchanges;
`;
const base = JSON.parse(readFileSync(recording(RECORDING_2476), 'utf8').split('\n')[0] as string) as Record<
  string,
  unknown
>;

/** One event's JSON text with `fields` spliced in as raw JSON literals (exactly as a client sends them). */
function eventText(id: string, fields: Record<string, string>): string {
  const event: Record<string, unknown> = { ...base, meta: { ...(base['meta'] as object), id } };
  for (const name of Object.keys(fields)) delete event[name];
  const extra = Object.entries(fields).map(([k, v]) => `, ${JSON.stringify(k)}: ${v}`);
  return `${JSON.stringify(event).slice(0, -1)}${extra.join('')}}`;
}

/** Resolves once the view `counter` counts `n` rows. */
function counted(app: App, n: number): Promise<void> {
  return waitForChannel(app.hub.require('counter'), (c) => Number(c.rows.rows()[0]?.[0]) === n);
}

interface Status {
  sources: Array<{ skipped: Record<string, number> }>;
}

describe('values that do not fit their column', { timeout: 120_000 }, () => {
  const apps: App[] = [];
  after(async () => {
    for (const app of apps) await app.close();
  });

  async function start(args: string[]): Promise<App> {
    const dir = tempDir();
    const views = join(dir, 'views.sql');
    writeFileSync(views, VIEWS);
    const app = await startTestApp(['--views', views, '--memory', ...args]);
    apps.push(app);
    return app;
  }

  const rowsOf = async (app: App, view: string): Promise<unknown[][]> =>
    (await getJson<{ rows: unknown[][] }>(app, `/api/views/${view}`)).rows;

  it('reads integers beyond 2^53 exactly and writes them back exactly', () => {
    const value = parseJson(
      '{"a": 9007199254740993, "b": [-9223372036854775808, 1e19], "s": "12345678901234567890"}',
    );
    assert.deepEqual(value, {
      a: 9007199254740993n,
      b: [-9223372036854775808n, 1e19],
      s: '12345678901234567890',
    });
    assert.equal(
      stringifyJson(value),
      '{"a":9007199254740993,"b":[-9223372036854775808,10000000000000000000],"s":"12345678901234567890"}',
    );
    const skipped: string[] = [];
    const map = recordMapper([
      { name: 'id', type: 'bigint' },
      { name: 'namespace', type: 'integer' },
      { name: 'length_new', type: 'smallint' },
    ]);
    const record = map({ id: 2n ** 63n, namespace: 2 ** 31, length: { new: 32767 } }, (reason, detail) =>
      skipped.push(`${reason}: ${detail}`),
    );
    assert.deepEqual(record, { id: null, namespace: null, length_new: 32767 });
    assert.deepEqual(skipped, [
      'out-of-range: id = 9223372036854775808 does not fit bigint',
      'out-of-range: namespace = 2147483648 does not fit integer',
    ]);
  });

  it('POST /api/ingest: out-of-range integers become NULL and are counted; big ones stay exact', async () => {
    const app = await start(['--source', 'ingest', '--ingest-token', TOKEN]);
    const body = [
      eventText('ts-1e19', { timestamp: '1e19' }),
      eventText('id-2^63', { id: '9223372036854775808' }),
      eventText('ns-2^31', { namespace: '2147483648' }),
      eventText('id-2^53+1', { id: '9007199254740993', timestamp: '9007199254740993' }),
    ].join('\n');
    const response = await fetch(`${app.url}/api/ingest`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/x-ndjson' },
      body,
    });
    assert.equal(response.status, 200, await response.clone().text());
    await counted(app, 4);
    const exact = new Map((await rowsOf(app, 'exact')).map((row) => [row[0], row.slice(1)]));
    assert.deepEqual(exact.get('ts-1e19')?.[2], null);
    assert.deepEqual(exact.get('id-2^63')?.[0], null);
    assert.deepEqual(exact.get('ns-2^31')?.[1], null);
    assert.deepEqual(exact.get('id-2^53+1')?.[0], '9007199254740993');
    // The bigint column itself, on the wire: the exact digits, not the nearest double (…992).
    const raw = await (await fetch(`${app.url}/api/views/exact`)).text();
    assert.match(raw, /"id-2\^53\+1","9007199254740993",-?\d+,"9007199254740993"\]/);
    assert.deepEqual(await rowsOf(app, 'counter'), [[4]]);
    const status = await getJson<Status>(app, '/api/status');
    assert.equal(status.sources[0]?.skipped['out-of-range'], 3);
  });

  it('a recording line with "timestamp": 1e19 is applied with r_ts NULL, counted, and the server goes on', async () => {
    const file = join(tempDir(), 'recording.jsonl');
    writeFileSync(file, `${eventText('line-1', { timestamp: '1e19' })}\n${eventText('line-2', {})}\n`);
    const app = await start(['--source', `replay:${file}`, '--speed', 'max']);
    await app.sourcesDone;
    await counted(app, 2);
    assert.deepEqual(await rowsOf(app, 'counter'), [[2]]);
    const status = await getJson<Status>(app, '/api/status');
    assert.equal(status.sources[0]?.skipped['out-of-range'], 1);
  });
});
