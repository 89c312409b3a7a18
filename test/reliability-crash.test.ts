/**
 * Crashes: `viewcast serve` ingesting three recordings at once (JSON lines, raw SSE, and a file
 * without a final newline) into one data directory is killed with SIGKILL at six moments chosen by a
 * seeded random generator, and restarted each time. Whatever a client saw committed before a kill is
 * still there after it, every source resumes after its own last committed event, and the views end
 * with every event counted exactly once: counts that this test derives from the files on its own.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import { mulberry32 } from '../src/sources/simulate-random.js';
import { startViewcast, type RunningViewcast } from './support/child-server.js';
import { recording } from './support/shared-data.js';

const FILES = [
  'recentchange-2026-05-05-2476.jsonl',
  'recentchange-2026-06-20-384.sse',
  'recentchange-2023-07-29-enwiki-100.jsonl',
].map(recording);

/** Events per user, read straight from the recordings (JSON lines, or the `data:` lines of SSE). */
function expectedUserCounts(): Map<string | null, number> {
  const counts = new Map<string | null, number>();
  for (const file of FILES) {
    const text = readFileSync(file, 'utf8');
    const lines = file.endsWith('.sse')
      ? text.split('\n').flatMap((l) => (l.startsWith('data: ') ? [l.slice(6)] : []))
      : text.split('\n').filter((l) => l.trim() !== '');
    for (const line of lines) {
      const user = (JSON.parse(line) as { user?: string }).user ?? null;
      counts.set(user, (counts.get(user) ?? 0) + 1);
    }
  }
  return counts;
}

/** Resolves with the counter's value once it reaches `target` (or at once, if it already has). */
function counterReaches(url: string, target: number): Promise<{ first: number; seen: number }> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/stream/counter`);
  let first: number | null = null;
  return new Promise((resolve, reject) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { inserted: number[][] };
      const value = message.inserted[0]?.[0];
      if (value === undefined) return;
      first ??= value;
      if (value >= target) {
        resolve({ first, seen: value });
        socket.terminate();
      }
    });
    socket.on('error', reject);
  });
}

async function getRows(url: string, view: string): Promise<unknown[][]> {
  const response = await fetch(`${url}/api/views/${view}`);
  assert.equal(response.status, 200);
  return ((await response.json()) as { rows: unknown[][] }).rows;
}

describe('SIGKILL at random moments during ingest, then restart', { timeout: 300_000 }, () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'viewcast-crash-')), 'data');
  after(() => rmSync(join(dataDir, '..'), { recursive: true, force: true }));
  const args = [
    ...FILES.flatMap((file) => ['--source', `replay:${file}`]),
    ...['--speed', 'max', '--batch-size', '20', '--data-dir', dataDir],
  ];
  const expected = expectedUserCounts();
  const total = [...expected.values()].reduce((sum, n) => sum + n, 0);

  it('counts every event exactly once after six kills', async (t) => {
    const random = mulberry32(20261121);
    const targets = Array.from({ length: 6 }, () => 50 + Math.floor(random() * (total - 100))).sort(
      (a, b) => a - b,
    );
    let committedBeforeKill = 0;
    let server: RunningViewcast | null = null;
    try {
      for (const target of targets) {
        server = await startViewcast(args);
        const { first, seen } = await counterReaches(server.url, target);
        // What a client saw before the previous kill was committed: it must have survived.
        assert.ok(
          first >= committedBeforeKill,
          `after restart ${first} < ${committedBeforeKill} seen before the kill`,
        );
        const exit = await server.kill();
        assert.equal(exit.signal, 'SIGKILL');
        const previous = committedBeforeKill;
        committedBeforeKill = seen;
        const positions = [...server.output().matchAll(/(replay:\S+): resuming after position (\d+)/g)];
        // Positions are committed with the events: together they cover what a client saw committed.
        const resumedSum = positions.reduce((sum, m) => sum + Number(m[2]), 0);
        assert.ok(
          resumedSum >= previous,
          `resumed after ${resumedSum} events, but ${previous} were committed`,
        );
        t.diagnostic(
          `killed at counter ${seen} (target ${target}); this run had resumed after ` +
            (positions.map((m) => `${m[1]} ${m[2]}`).join(', ') || 'nothing'),
        );
        server = null;
      }
      server = await startViewcast(args);
      for (const file of FILES) await server.waitFor(new RegExp(`replay:${basename(file)}: done`));
      const resumed = [...server.output().matchAll(/resuming after position (\d+)/g)];
      assert.ok(resumed.length > 0, 'the last start resumed no source');

      assert.deepEqual(await getRows(server.url, 'counter'), [[total]]);
      const userEdits = await getRows(server.url, 'user_edits');
      assert.deepEqual(
        new Map(userEdits.map(([user, count]) => [user as string | null, Number(count)])),
        expected,
      );
      // The ten highest counts, each with its user's true count (ties may pick either user).
      const top10 = await getRows(server.url, 'top10');
      for (const [user, count] of top10) assert.equal(Number(count), expected.get(user as string | null));
      assert.deepEqual(
        top10.map(([, count]) => Number(count)).sort((a, b) => b - a),
        [...expected.values()].sort((a, b) => b - a).slice(0, 10),
      );
    } finally {
      await server?.stop();
    }
  });
});
