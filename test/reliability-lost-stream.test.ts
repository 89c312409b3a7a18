/**
 * Lost streams, all in one run: a stand-in for EventStreams (the tests have no internet) serves the
 * raw 384-event recording and, connection after connection in a seeded order, resets mid-event, ends
 * cleanly mid-event, stalls without closing (only the read timeout notices), answers 429 and 503
 * with `Retry-After`, answers 500 without it, and re-sends 20 already-delivered events on every
 * resume. In the middle of it all `viewcast serve` itself is killed with SIGKILL and restarted on
 * its data directory. The views must end with every event of the recording counted exactly once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { mulberry32 } from '../src/sources/simulate-random.js';
import { startViewcast, type RunningViewcast } from './support/child-server.js';
import { sseBlocks, startMockStream, type Ending, type MockStream } from './support/mock-eventstreams.js';
import { recording } from './support/shared-data.js';
import { count, waitForView } from './support/wait-view.js';

const blocks = sseBlocks(readFileSync(recording('recentchange-2026-06-20-384.sse'), 'utf8'));

/** Events per user, each `meta.id` once, read from the recording here. */
function truth(): Map<string | null, number> {
  const seen = new Set<string>();
  const users = new Map<string | null, number>();
  for (const block of blocks) {
    const event = JSON.parse(/^data: (.*)$/m.exec(block.text)?.[1] ?? 'null') as {
      user?: string;
      meta: { id: string };
    };
    if (seen.has(event.meta.id)) continue;
    seen.add(event.meta.id);
    users.set(event.user ?? null, (users.get(event.user ?? null) ?? 0) + 1);
  }
  return users;
}

/** Twelve connection endings in a seeded order, each kind at least once. */
function chaos(): Ending[] {
  const random = mulberry32(384);
  const kinds = ['reset', 'end', 'stall', '429', '503', '500'] as const;
  const endings: Ending[] = [];
  let at = 0;
  for (let i = 0; i < 12; i++) {
    const kind = kinds[i < kinds.length ? i : Math.floor(random() * kinds.length)] as (typeof kinds)[number];
    at += 10 + Math.floor(random() * 40);
    if (kind === '429' || kind === '503')
      endings.push({ after: 0, how: 'status', status: Number(kind), headers: { 'Retry-After': '0.05' } });
    else if (kind === '500') endings.push({ after: 0, how: 'status', status: 500 });
    else endings.push({ after: at, how: kind, partial: random() < 0.7 });
  }
  return endings;
}

describe('lost streams: drops, duplicates, stalls, 429/503, and a crash in between', () => {
  const dir = mkdtempSync(join(tmpdir(), 'viewcast-lost-stream-'));
  let mock: MockStream | null = null;
  let server: RunningViewcast | null = null;
  after(async () => {
    await server?.stop();
    await mock?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts every event of the recording exactly once', async (t) => {
    assert.equal(blocks.length, 384);
    const endings = chaos();
    mock = await startMockStream({ blocks, overlap: 20, endings });
    const args = [
      ...['--source', 'wikimedia', '--wikimedia-url', mock.url, '--data-dir', join(dir, 'data')],
      ...['--read-timeout', '0.3', '--reconnect-delay', '0.01', '--batch-size', '10'],
    ];
    server = await startViewcast(args);
    await waitForView(server.url, 'counter', (rows) => count(rows) >= 150);
    assert.equal((await server.kill()).signal, 'SIGKILL');
    const requestsBeforeCrash = mock.requests.length;
    server = await startViewcast(args);
    await waitForView(server.url, 'counter', (rows) => count(rows) >= blocks.length);

    // Every connection after the first resumed from an id the server really sent, never a made-up one.
    const ids = new Set(blocks.map((b) => b.id));
    for (const [i, request] of mock.requests.entries())
      if (i > 0) assert.ok(request.lastEventId !== null && ids.has(request.lastEventId), `request ${i + 1}`);
    assert.ok(mock.requests.length > endings.length, 'every scripted ending was met');
    t.diagnostic(`${mock.requests.length} connections, the crash after connection ${requestsBeforeCrash}`);

    const rows = await (await fetch(`${server.url}/api/views/user_edits`)).json();
    const users = new Map(
      (rows as { rows: unknown[][] }).rows.map(([u, n]) => [u as string | null, Number(n)]),
    );
    assert.deepEqual(users, truth());
    const counter = (await (await fetch(`${server.url}/api/views/counter`)).json()) as { rows: unknown[][] };
    assert.deepEqual(counter.rows, [[blocks.length]]);
    const status = (await (await fetch(`${server.url}/api/status`)).json()) as {
      sources: Array<{ skipped: Record<string, number>; reconnects: number }>;
    };
    // After the restart the overlap of every resume was recognised and dropped.
    assert.ok((status.sources[0]?.skipped['duplicate'] ?? 0) > 0, JSON.stringify(status.sources[0]));
  });
});
