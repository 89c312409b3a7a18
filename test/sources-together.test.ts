/**
 * Several sources feeding one viewcast at once, through the real engine: a replay of the 100-event
 * recording (no newline after its last line), a followed file that receives SSE in pieces, is
 * truncated and is rotated, and `POST /api/ingest` with its token, validation and size limit.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/cli/app.js';
import { sseBlocks, sseText, type Block } from './support/mock-eventstreams.js';
import { getJson, startTestApp } from './support/server.js';
import { recording, RECORDING_2476 } from './support/shared-data.js';
import { count, waitForView } from './support/wait-view.js';

interface SourceStatus {
  kind: string;
  events: number;
  skipped: Record<string, number>;
  [detail: string]: unknown;
}

const OLD_100 = 'recentchange-2023-07-29-enwiki-100.jsonl';
const blocks = sseBlocks(readFileSync(recording('recentchange-2026-06-20-384.sse'), 'utf8'));
const text = (from: number, to: number): string => sseText(blocks, from, to);
const lines2476 = readFileSync(recording(RECORDING_2476), 'utf8').split('\n');
const TOKEN = 'test-token-1234';

describe('several sources at once: replay, file tail and HTTP ingest', { timeout: 300_000 }, () => {
  let app: App;
  let dir: string;
  let file: string;

  const status = async (kind: string): Promise<SourceStatus> => {
    const all = await getJson<{ sources: SourceStatus[] }>(app, '/api/status');
    const found = all.sources.find((s) => s.kind === kind);
    assert.ok(found, `no ${kind} source in ${JSON.stringify(all.sources)}`);
    return found;
  };
  const counter = async (): Promise<number> =>
    count((await getJson<{ rows: unknown[][] }>(app, '/api/views/counter')).rows);
  const post = (body: string, token: string | null = TOKEN): Promise<Response> =>
    fetch(`${app.url}/api/ingest`, {
      method: 'POST',
      headers: token === null ? {} : { Authorization: `Bearer ${token}` },
      body,
    });

  before(async () => {
    assert.equal(
      readFileSync(recording(OLD_100), 'utf8').endsWith('\n'),
      false,
      'the recording has no final newline',
    );
    dir = await mkdtemp(join(tmpdir(), 'viewcast-sources-'));
    file = join(dir, 'recentchanges');
    // Ten whole messages and half of the eleventh, as `curl -N ... >> file` leaves it mid-write.
    const eleventh = (blocks[10] as Block).text;
    writeFileSync(file, text(0, 10) + eleventh.slice(0, 700));
    app = await startTestApp([
      '--memory',
      '--source',
      `replay:${recording(OLD_100)}`,
      '--speed',
      'max',
      '--source',
      `file:${file}`,
      '--ingest-token',
      TOKEN,
      '--ingest-max-bytes',
      '20000',
    ]);
    await waitForView(app.url, 'counter', (rows) => count(rows) >= 110);
    appendFileSync(file, eleventh.slice(700) + text(11, 20));
    await waitForView(app.url, 'counter', (rows) => count(rows) >= 120);
  });

  after(async () => {
    await app?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('replays all 100 events of the recording without a final newline', async () => {
    const replay = await status('replay');
    assert.equal(replay.events, 100);
    assert.equal(replay['total'], 100);
  });

  it('follows the file across a message split between two writes', async () => {
    assert.equal((await status('file')).events, 20);
    assert.equal(await counter(), 120);
  });

  it('reads a truncated file again from its start', async () => {
    writeFileSync(file, text(20, 25));
    await waitForView(app.url, 'counter', (rows) => count(rows) >= 125);
    const tail = await status('file');
    assert.equal(tail.events, 25);
    assert.equal(tail['truncations'], 1);
  });

  it('finishes a rotated file, then follows the new one', async () => {
    renameSync(file, `${file}.1`);
    appendFileSync(`${file}.1`, text(25, 26)); // the writer still had the old file open
    writeFileSync(file, text(26, 30));
    await waitForView(app.url, 'counter', (rows) => count(rows) >= 130);
    const tail = await status('file');
    assert.equal(tail.events, 30);
    assert.equal(tail['rotations'], 1);
    assert.equal(await counter(), 130);
  });

  it('POST /api/ingest answers once the events are applied, dropping canaries, keeping events without user', async () => {
    const noUser = JSON.parse(lines2476[1] as string) as Record<string, unknown>;
    delete noUser['user'];
    const canary = JSON.parse(lines2476[2] as string) as Record<string, unknown>;
    (canary['meta'] as Record<string, unknown>)['domain'] = 'canary';
    const response = await post([lines2476[0], JSON.stringify(noUser), JSON.stringify(canary)].join('\n'));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { received: 3, accepted: 2, skipped: { canary: 1 } });
    assert.equal(await counter(), 132);
    const edits = await getJson<{ rows: unknown[][] }>(app, '/api/views/user_edits');
    assert.ok(
      edits.rows.some(([user, n]) => user === null && n === 1),
      'the event without user is counted',
    );
  });

  it('POST /api/ingest accepts a JSON array and drops a re-sent event', async () => {
    const response = await post(
      JSON.stringify([JSON.parse(lines2476[0] as string), JSON.parse(lines2476[3] as string)]),
    );
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { received: 2, accepted: 1, skipped: { duplicate: 1 } });
    assert.equal(await counter(), 133);
  });

  it('refuses a request without the token, or with a wrong one, with 401', async () => {
    for (const token of [null, 'wrong']) {
      const response = await post(lines2476[4] as string, token);
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer');
    }
    assert.equal(await counter(), 133);
  });

  it('refuses a body with a bad line with 400 naming that line, applying nothing of it', async () => {
    const wrongType = JSON.parse(lines2476[6] as string) as Record<string, unknown>;
    wrongType['namespace'] = 'zero';
    for (const [body, line, why] of [
      [`${lines2476[4]}\n{"meta": \n${lines2476[5]}`, 2, /line 2: not valid JSON/],
      [
        `${lines2476[4]}\n${lines2476[5]}\n\n${JSON.stringify(wrongType)}`,
        4,
        /line 4: namespace must be an integer/,
      ],
      [`${lines2476[4]}\n[1]`, 2, /line 2: not a JSON object/],
    ] as const) {
      const response = await post(body);
      assert.equal(response.status, 400);
      const { error } = (await response.json()) as { error: { code: string; message: string; line: number } };
      assert.equal(error.code, 'BAD_EVENT');
      assert.equal(error.line, line);
      assert.match(error.message, why);
      assert.match(error.message, /nothing from this request was applied/);
    }
    assert.equal(await counter(), 133);
  });

  it('refuses a body over the size limit with 413', async () => {
    const response = await post(lines2476.slice(10, 40).join('\n'));
    assert.equal(response.status, 413);
    assert.equal(await counter(), 133);
  });

  it('lists every source in /api/status', async () => {
    const all = await getJson<{ sources: SourceStatus[] }>(app, '/api/status');
    assert.deepEqual(
      all.sources.map((s) => s.kind),
      ['replay', 'file', 'http-ingest'],
    );
    const ingest = await status('http-ingest');
    assert.equal(ingest.events, 3);
    assert.deepEqual(ingest.skipped, { canary: 1, duplicate: 1 });
  });
});
