/**
 * The live client against a local stand-in for EventStreams that serves the raw 384-event
 * recording and drops the connection part-way several times, in several ways (reset mid-event,
 * clean end mid-event, a silent stall, a reset between events). Every reconnect must send the last
 * id verbatim as `Last-Event-ID`; the overlap the server re-sends must be dropped; the views must end
 * at the ground truth computed here from the file. Then a restart on the same data directory must
 * resume after the stored id and still count nothing twice. (A mock, since the tests have no internet.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/cli/app.js';
import { getJson, startTestApp } from './support/server.js';
import { recording } from './support/shared-data.js';
import { sseBlocks, startMockStream, type Block, type MockStream } from './support/mock-eventstreams.js';
import { count, waitForView } from './support/wait-view.js';

interface Snapshot {
  rows: unknown[][];
}

interface WikimediaStatus {
  kind: string;
  events: number;
  skipped: Record<string, number>;
  connected: boolean;
  reconnects: number;
  lastEventId: string | null;
  lagSeconds: number | null;
}

const blocks = sseBlocks(readFileSync(recording('recentchange-2026-06-20-384.sse'), 'utf8'));
const events = blocks.map(
  (b) => JSON.parse(/^data: (.*)$/m.exec(b.text)?.[1] ?? 'null') as Record<string, unknown>,
);

/** Ground truth from the file: events per user, each meta.id once. */
function truth(): Map<string, number> {
  const seen = new Set<string>();
  const users = new Map<string, number>();
  for (const event of events) {
    const id = (event['meta'] as { id: string }).id;
    if (seen.has(id)) continue;
    seen.add(id);
    users.set(String(event['user']), (users.get(String(event['user'])) ?? 0) + 1);
  }
  return users;
}

const DROPS = [60, 150, 250, 330];

describe('Wikimedia stream: drops, resume with Last-Event-ID, exactly-once views', () => {
  let mock: MockStream;
  let dataDir: string;
  let app: App | null = null;
  let statusBeforeRestart: WikimediaStatus;

  before(async () => {
    assert.equal(blocks.length, 384);
    mock = await startMockStream({
      blocks,
      overlap: 3,
      endings: [
        { after: DROPS[0] as number, how: 'reset', partial: true },
        { after: DROPS[1] as number, how: 'end', partial: true },
        { after: DROPS[2] as number, how: 'stall', partial: true },
        { after: DROPS[3] as number, how: 'reset' },
      ],
    });
    dataDir = await mkdtemp(join(tmpdir(), 'viewcast-resume-'));
    app = await startTestApp([
      '--source',
      'wikimedia',
      '--wikimedia-url',
      mock.url,
      '--data-dir',
      dataDir,
      '--read-timeout',
      '0.5',
      '--reconnect-delay',
      '0.01',
    ]);
    await waitForView(app.url, 'counter', (rows) => count(rows) >= 384);
    statusBeforeRestart = (await getJson<{ sources: WikimediaStatus[] }>(app, '/api/status'))
      .sources[0] as WikimediaStatus;
    await app.close(); // commits everything received, so the data directory holds the final state
    app = null;
  });

  after(async () => {
    await app?.close();
    await mock?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('reconnects after every drop, sending the last complete event id verbatim', () => {
    assert.equal(mock.requests.length, DROPS.length + 1);
    assert.equal(mock.requests[0]?.lastEventId, null);
    for (const [i, drop] of DROPS.entries()) {
      const expected = (blocks[drop - 1] as Block).id;
      assert.equal(mock.requests[i + 1]?.lastEventId, expected, `reconnect ${i + 1}`);
    }
  });

  it('sends a descriptive User-Agent: name, version and project URL', () => {
    assert.match(mock.requests[0]?.userAgent ?? '', /^viewcast\/\d+\.\d+\.\d+ \(https?:\/\/[^)]+\)/);
  });

  it('reports the stream in /api/status: reconnects, duplicates dropped, last id, lag', () => {
    const status = statusBeforeRestart;
    assert.equal(status.kind, 'wikimedia');
    assert.equal(status.events, 384);
    assert.equal(status.reconnects, DROPS.length);
    // Every resume re-sent three events that were already counted.
    assert.equal(status.skipped['duplicate'], 3 * DROPS.length);
    assert.equal(status.lastEventId, (blocks[383] as Block).id);
    assert.equal(status.connected, true);
    assert.ok(status.lagSeconds !== null && status.lagSeconds > 0);
  });

  it('ends with views equal to the ground truth after a restart, and resumes after the stored id', async () => {
    const restartMock = await startMockStream({
      overlap: 3,
      // The recording, then two new events that only a resumed client can get.
      blocks: [...blocks, ...sentinels()],
    });
    let release!: () => void;
    try {
      app = await startTestApp(
        [
          '--source',
          'wikimedia',
          '--wikimedia-url',
          restartMock.url,
          '--data-dir',
          dataDir,
          '--reconnect-delay',
          '0.01',
        ],
        { holdSources: new Promise((resolve) => (release = resolve)) },
      );
      const counter = await getJson<Snapshot>(app, '/api/views/counter');
      assert.deepEqual(counter.rows, [[384]]);
      const userEdits = await getJson<Snapshot>(app, '/api/views/user_edits');
      assert.deepEqual(new Map(userEdits.rows.map(([user, n]) => [String(user), Number(n)])), truth());
      const top10 = await getJson<Snapshot>(app, '/api/views/top10');
      const best = [...truth().values()].sort((a, b) => b - a).slice(0, 10);
      assert.deepEqual(
        top10.rows.map((r) => Number(r[1])).sort((a, b) => b - a),
        best,
      );
      for (const [user, n] of top10.rows) assert.equal(truth().get(String(user)), Number(n));

      release();
      const first = await restartMock.request(1);
      assert.equal(first.lastEventId, (blocks[383] as Block).id, 'the restart resumes after the stored id');
      // The overlap (the last three recorded events) must be dropped: the second new event makes 386.
      const rows = await waitForView(app.url, 'user_edits', (r) => r.some(([u]) => u === 'restart-check-2'));
      assert.equal(
        rows.reduce((sum, r) => sum + Number(r[1]), 0),
        386,
      );
    } finally {
      await app?.close();
      app = null;
      await restartMock.close();
    }
  });
});

/** Two events not in the recording, with their own meta.id, user and SSE id. */
function sentinels(): Block[] {
  return [1, 2].map((n) => {
    const event = structuredClone(events[0]) as Record<string, unknown>;
    event['meta'] = { ...(event['meta'] as object), id: `00000000-0000-4000-8000-00000000000${n}` };
    event['user'] = `restart-check-${n}`;
    const id = `[{"topic":"eqiad.mediawiki.recentchange","partition":0,"offset":${9_000_000_000 + n}}]`;
    return { id, text: `event: message\nid: ${id}\ndata: ${JSON.stringify(event)}\n\n` };
  });
}
