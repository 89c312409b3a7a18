/**
 * views/examples.sql on the 2,476-event recording: every view is checked against figures computed
 * here from the recording itself, independently of the engine.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/cli/app.js';
import { getJson, startTestApp } from './support/server.js';
import { projectRoot, recording, RECORDING_2476 } from './support/shared-data.js';

interface Event {
  wiki?: string;
  user?: string;
  bot?: boolean;
  type?: string;
  timestamp?: number;
}

type Row = unknown[];

function countBy<T>(items: T[], key: (item: T) => string): Map<string, { item: T; n: number }> {
  const out = new Map<string, { item: T; n: number }>();
  for (const item of items) {
    const k = key(item);
    const entry = out.get(k) ?? { item, n: 0 };
    entry.n++;
    out.set(k, entry);
  }
  return out;
}

/** The top k by count, ties broken by name ascending (NULLs last), as the engine documents. */
function topK(rows: Array<[string | null, number]>, k: number): Row[] {
  return [...rows]
    .sort(
      (a, b) =>
        b[1] - a[1] || (a[0] === b[0] ? 0 : a[0] === null ? 1 : b[0] === null ? -1 : a[0] < b[0] ? -1 : 1),
    )
    .slice(0, k);
}

const sorted = (rows: Row[]): Row[] =>
  [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe('views/examples.sql against the recording', { timeout: 300_000 }, () => {
  let app: App;
  const events: Event[] = readFileSync(recording(RECORDING_2476), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Event);

  before(async () => {
    app = await startTestApp([
      '--views',
      `${projectRoot}views/examples.sql`,
      '--source',
      `replay:${recording(RECORDING_2476)}`,
      '--speed',
      'max',
      '--memory',
    ]);
    await app.sourcesDone;
  });

  after(async () => {
    await app?.close();
  });

  const view = async (name: string): Promise<Row[]> =>
    (await getJson<{ rows: Row[] }>(app, `/api/views/${name}`)).rows;

  it('runs every example view on the delta path, without loading PGlite', () => {
    assert.deepEqual(
      app.engine.views.filter((v) => v.path !== 'delta').map((v) => [v.name, v.reason]),
      [],
    );
    assert.equal(app.engine.pgliteLoaded, false);
    assert.deepEqual(app.engine.warnings, []);
  });

  it('counts events per wiki', async () => {
    const expected = [...countBy(events, (e) => e.wiki ?? '').values()].map(({ item, n }) => [
      item.wiki ?? null,
      n,
    ]);
    assert.equal(expected.length, 70);
    assert.deepEqual(sorted(await view('edits_per_wiki')), sorted(expected));
  });

  it('keeps the five busiest wikis', async () => {
    const perWiki = [...countBy(events, (e) => e.wiki ?? '').values()].map(
      ({ item, n }): [string | null, number] => [item.wiki ?? null, n],
    );
    assert.deepEqual(sorted(await view('top_wikis')), sorted(topK(perWiki, 5)));
  });

  it('counts page edits per minute, bots and humans apart', async () => {
    const edits = events.filter((e) => e.type === 'edit');
    const expected = [
      ...countBy(edits, (e) => `${Math.floor((e.timestamp ?? 0) / 60) * 60}/${e.bot}`).values(),
    ].map(({ item, n }) => [Math.floor((item.timestamp ?? 0) / 60) * 60, item.bot ?? null, n]);
    const rows = await view('bot_edits_per_minute');
    assert.deepEqual(sorted(rows), sorted(expected));
    assert.equal(
      rows.reduce((sum, row) => sum + Number(row[2]), 0),
      937,
    );
  });

  it('keeps the five users with the most page creations', async () => {
    const created = [
      ...countBy(
        events.filter((e) => e.type === 'new'),
        (e) => e.user ?? '\0',
      ).values(),
    ].map(({ item, n }): [string | null, number] => [item.user ?? null, n]);
    assert.deepEqual(sorted(await view('top_creators')), sorted(topK(created, 5)));
  });
});

describe('views/dashboard.sql against the recording', { timeout: 300_000 }, () => {
  let app: App;
  const events = readFileSync(recording(RECORDING_2476), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Event & { length?: { new?: number; old?: number } });

  before(async () => {
    app = await startTestApp([
      '--views',
      `${projectRoot}views/dashboard.sql`,
      '--source',
      `replay:${recording(RECORDING_2476)}`,
      '--speed',
      'max',
      '--memory',
    ]);
    await app.sourcesDone;
  });

  after(async () => {
    await app?.close();
  });

  const view = async (name: string): Promise<Row[]> =>
    (await getJson<{ rows: Row[] }>(app, `/api/views/${name}`)).rows;

  it('runs all twelve views on the delta path, without loading PGlite, and says so in /api/views', async () => {
    assert.equal(app.engine.views.length, 12);
    const listed = await getJson<Array<{ name: string; path: string; reason?: string }>>(app, '/api/views');
    assert.deepEqual(
      listed.map((v) => [v.name, v.path, v.reason]),
      app.engine.views.map((v) => [v.name, 'delta', undefined]),
    );
    assert.deepEqual(
      app.engine.views.filter((v) => v.path !== 'delta').map((v) => [v.name, v.reason]),
      [],
    );
    assert.equal(app.engine.pgliteLoaded, false);
  });

  it('counts the events and the events per type of the recording', async () => {
    assert.deepEqual(await view('events'), [[2476]]);
    assert.deepEqual(
      sorted(await view('events_per_type')),
      sorted([
        ['categorize', 1266],
        ['edit', 937],
        ['log', 153],
        ['new', 120],
      ]),
    );
    const perMinute = await view('events_per_minute');
    assert.equal(
      perMinute.reduce((sum, row) => sum + Number(row[1]), 0),
      2476,
    );
    const creations = await view('creations_per_5_minutes');
    assert.equal(
      creations.reduce((sum, row) => sum + Number(row[1]), 0),
      120,
    );
  });

  it('sums the bytes page edits added per wiki', async () => {
    const expected = new Map<string, [number, number | null]>();
    for (const e of events.filter((e) => e.type === 'edit')) {
      const [edits, bytes] = expected.get(e.wiki ?? '') ?? [0, null];
      const change =
        e.length?.new !== undefined && e.length.old !== undefined ? e.length.new - e.length.old : null;
      expected.set(e.wiki ?? '', [edits + 1, change === null ? bytes : (bytes ?? 0) + change]);
    }
    const rows = await view('bytes_per_wiki');
    assert.equal(rows.length, expected.size);
    for (const [wiki, edits, bytes] of rows) {
      const [n, sum] = expected.get(wiki as string) ?? [];
      assert.equal(Number(edits), n, `${String(wiki)} edits`);
      assert.equal(bytes === null ? null : Number(bytes), sum, `${String(wiki)} bytes`);
    }
  });

  it('keeps the ten most active human editors and bots', async () => {
    const by = (bot: boolean, type?: string): Array<[string | null, number]> =>
      [
        ...countBy(
          events.filter((e) => e.bot === bot && (type === undefined || e.type === type)),
          (e) => e.user ?? '\0',
        ).values(),
      ].map(({ item, n }): [string | null, number] => [item.user ?? null, n]);
    assert.deepEqual(sorted(await view('top_humans')), sorted(topK(by(false, 'edit'), 10)));
    const bots = await view('top_bots');
    assert.deepEqual(sorted(bots), sorted(topK(by(true), 10)));
    assert.deepEqual(
      bots.find((row) => row[0] === 'SuperGrey-bot'),
      ['SuperGrey-bot', 430],
    );
  });
});
