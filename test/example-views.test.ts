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

describe('views/examples.sql against the recording', () => {
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
