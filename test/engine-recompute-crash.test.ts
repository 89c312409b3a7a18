/**
 * A recompute killed with SIGKILL after it committed part of a view's state: the next start drops
 * the half-computed state and computes the view again, so what is served equals a fresh run. Real
 * engine in a child process, real LMDB, the recording ten times over (24,760 events).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { manualClock } from './support/clock.js';
import { startEngine, suiteTempDirs, writeViews } from './support/engine.js';
import { contents, feed, recordedEvents, recordedStart, TABLE } from './support/retained-feed.js';

const BEFORE = `${TABLE}\nCREATE VIEW counter AS SELECT count(*) AS n FROM recentchanges;\n`;
const AFTER = `${BEFORE}CREATE VIEW per_wiki AS SELECT wiki, bot, count(*) AS n FROM recentchanges GROUP BY wiki, bot;\n`;

describe('a recompute killed half-way', { timeout: 240_000 }, () => {
  const fresh = suiteTempDirs();
  const once10 = recordedEvents();
  const events = Array.from({ length: 10 }, () => once10).flat();
  const start = recordedStart(once10);

  async function fed(views: string, dataDir: string): Promise<number> {
    const clock = manualClock(start);
    const engine = await startEngine(views, { dataDir, clock, tickMs: 0 });
    await feed(engine, clock, events, { batch: 1000, follow: false });
    await engine.close();
    return clock.now();
  }

  it('is computed again from the start on the next start, never served half done', async () => {
    const dataDir = join(fresh(), 'data');
    const now = await fed(writeViews(BEFORE, fresh()), dataDir);
    const after = writeViews(AFTER, fresh());

    const child = spawn(
      process.execPath,
      [new URL('./support/recompute-child.js', import.meta.url).pathname, after, dataDir, String(now)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = once(child, 'exit');
    const lines = createInterface({ input: child.stdout });
    for await (const line of lines) {
      assert.notEqual(line, 'FINISHED', 'the recompute finished before it could be killed');
      if (line === 'COMMITTED') break;
    }
    child.kill('SIGKILL');
    const [, signal] = (await exited) as [number | null, string | null];
    assert.equal(signal, 'SIGKILL');

    const clock = manualClock(now);
    const restarted = await startEngine(after, { dataDir, clock, tickMs: 0 });
    const baselineDir = join(fresh(), 'data');
    await fed(writeViews(AFTER, fresh()), baselineDir);
    const baseline = await startEngine(after, { dataDir: baselineDir, clock: manualClock(now), tickMs: 0 });
    try {
      assert.match(restarted.notes.join('\n'), /"per_wiki" recomputed from 24760 retained events/);
      const perWiki = await contents(restarted, 'per_wiki');
      assert.deepEqual(perWiki, await contents(baseline, 'per_wiki'));
      assert.equal(
        perWiki.reduce((sum, [row]) => sum + Number(row[2]), 0),
        events.length,
      );
      assert.deepEqual(await contents(restarted, 'counter'), [[[events.length], 1]]);
    } finally {
      await restarted.close();
      await baseline.close();
    }
  });
});
