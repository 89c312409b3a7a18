/**
 * Memory given back once ingest goes idle (src/core/idle-memory.ts), driven by a manual clock: once
 * after a burst, never during ingest nor at a live rate with small gaps, not again until the process
 * grew; without koffi the V8 step alone, without an error; and a real server over a followed file
 * keeps serving the right views after a release, and restarts from its data directory after it.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/cli/app.js';
import { IdleMemoryRelease, type MemoryRelease } from '../src/core/idle-memory.js';
import type { Logger } from '../src/core/log.js';
import { manualClock, type ManualClock } from './support/clock.js';
import { sseBlocks, sseText } from './support/mock-eventstreams.js';
import { getJson, startTestApp } from './support/server.js';
import { recording } from './support/shared-data.js';
import { count, waitForView } from './support/wait-view.js';

const MiB = 2 ** 20;

function debugLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    debug: (m) => lines.push(m),
  };
}

/** Each release as it is reported, with the clock's time; `next()` resolves at the next one. */
function releases(clock: ManualClock): {
  seen: Array<MemoryRelease & { at: number }>;
  onRelease: (release: MemoryRelease) => void;
  next: () => Promise<MemoryRelease & { at: number }>;
} {
  const seen: Array<MemoryRelease & { at: number }> = [];
  let waiting: ((release: MemoryRelease & { at: number }) => void) | null = null;
  return {
    seen,
    onRelease: (release) => {
      const entry = { ...release, at: clock.now() };
      seen.push(entry);
      waiting?.(entry);
      waiting = null;
    },
    next: () => new Promise((resolve) => (waiting = resolve)),
  };
}

describe('memory given back once ingest is idle', { timeout: 120_000 }, () => {
  it('releases once after a burst, not during ingest, not at a live rate, not again until it grew', async () => {
    const clock = manualClock(0);
    const report = releases(clock);
    let rss = 100 * MiB;
    const release = new IdleMemoryRelease({
      clock,
      log: debugLog(),
      rss: () => rss,
      onRelease: report.onRelease,
    });
    // A burst: a transaction every 10 ms for 20 s while the process grows to 300 MiB.
    for (let t = 0; t < 20_000; t += 10) {
      release.noteActivity();
      rss = 100 * MiB + t * 10_000;
      clock.advance(10);
    }
    assert.equal(report.seen.length, 0, 'nothing is released during ingest');
    const burstEnd = clock.now() - 10;
    const first = report.next();
    clock.advance(5_000);
    rss = 110 * MiB;
    clock.advance(1_000);
    const released = await first;
    assert.equal(released.rssBefore, 100 * MiB + 19_990 * 10_000);
    assert.ok(
      released.at >= burstEnd + 5_000 && released.at <= burstEnd + 7_000,
      `released at ${released.at}`,
    );

    // A live rate, 40 transactions a second with gaps of up to 3 s, growing by less than 32 MiB.
    for (let t = 0; t < 120_000; t += 25) {
      if (t % 10_000 >= 3_000) release.noteActivity();
      rss = 110 * MiB + (t % 20_000) * 1_000;
      clock.advance(25);
    }
    // Idle again, having grown by at most 19 MiB since the release.
    clock.advance(60_000);
    await Promise.resolve();
    assert.equal(report.seen.length, 1, 'no release while the process did not grow');

    // Another burst grows it by 40 MiB: released again once idle.
    const second = report.next();
    release.noteActivity();
    rss = 150 * MiB;
    clock.advance(8_000);
    assert.equal((await second).rssBefore, 150 * MiB);
    assert.equal(report.seen.length, 2);
    release.close();
  });

  it('without koffi the release is V8 alone, logged once, and nothing fails', async () => {
    const clock = manualClock(0);
    const report = releases(clock);
    const log = debugLog();
    const release = new IdleMemoryRelease({
      clock,
      log,
      rss: () => 200 * MiB,
      growthBytes: 0,
      nativeModule: 'koffi-is-not-installed',
      onRelease: report.onRelease,
    });
    for (const _ of [1, 2]) {
      const next = report.next();
      release.noteActivity();
      clock.advance(7_000);
      const released = await next;
      assert.equal(released.rssAfterTrim, null);
    }
    assert.equal(log.lines.filter((l) => l.includes('koffi-is-not-installed is not available')).length, 1);
    assert.equal(log.lines.filter((l) => l.startsWith('memory given back')).length, 2);
    release.close();
  });
});

const blocks = sseBlocks(readFileSync(recording('recentchange-2026-06-20-384.sse'), 'utf8'));
const text = (from: number, to: number): string => sseText(blocks, from, to);

describe('a server after a release', { timeout: 180_000 }, () => {
  let dir: string;
  let file: string;
  const apps: App[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'viewcast-idle-memory-'));
    file = join(dir, 'recentchanges');
    writeFileSync(file, text(0, 40));
  });

  after(async () => {
    for (const app of apps) await app.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const allViews = async (app: App): Promise<Record<string, string[]>> => {
    const views = await getJson<Array<{ name: string }>>(app, '/api/views');
    const rows: Record<string, string[]> = {};
    // A snapshot's rows are a multiset: compared in one order.
    for (const { name } of views)
      rows[name] = (await getJson<{ rows: unknown[] }>(app, `/api/views/${name}`)).rows
        .map((row) => JSON.stringify(row))
        .sort();
    return rows;
  };

  it('serves the same views as a server that never released, before and after a restart', async () => {
    const clock = manualClock(Date.now());
    const report = releases(clock);
    const args = ['--data-dir', join(dir, 'data'), '--source', `file:${file}`];
    // Released at every idle check, whatever the process grew by.
    const hooks = { clock, idleRelease: { growthBytes: -Infinity, onRelease: report.onRelease } };
    let app = await startTestApp(args, hooks);
    apps.push(app);
    // The same file followed by a server that never releases (the release is off without growth).
    const reference = await startTestApp(['--memory', '--source', `file:${file}`], {
      idleRelease: { growthBytes: Infinity },
    });
    apps.push(reference);
    await waitForView(app.url, 'counter', (rows) => count(rows) >= 40);
    await waitForView(reference.url, 'counter', (rows) => count(rows) >= 40);
    const released = report.next();
    clock.advance(7_000);
    const release = await released;
    // koffi is installed here: LMDB's map was found and its pages dropped.
    assert.notEqual(release.rssAfterTrim, null);
    assert.equal(release.mappingsAdvised, 1);

    appendFileSync(file, text(40, 120));
    await waitForView(app.url, 'counter', (rows) => count(rows) >= 120);
    await waitForView(reference.url, 'counter', (rows) => count(rows) >= 120);
    const expected = await allViews(reference);
    assert.deepEqual(await allViews(app), expected);

    // Released again, then restarted from the data directory, whose map was dropped while open.
    const again = report.next();
    clock.advance(7_000);
    await again;
    await app.close();
    app = await startTestApp(args, hooks);
    apps.push(app);
    await waitForView(app.url, 'counter', (rows) => count(rows) >= 120);
    assert.deepEqual(await allViews(app), expected);
  });
});
