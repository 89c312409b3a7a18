/**
 * The data-directory lock: no process ids, so it holds across containers sharing
 * a volume; a lock that its owner keeps refreshing is respected whoever the owner is; a stale one (its
 * owner killed) is taken over; and of two real processes racing for one stale lock, exactly one wins.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { lockDataDir, LOCK_FILE, OWNER_FILE } from '../src/engine/data-dir-lock.js';
import { tempDir } from './support/engine.js';

const LOCK_MODULE = fileURLToPath(new URL('../src/engine/data-dir-lock.js', import.meta.url));

/** A node process that loads the lock module, says `ready`, locks `dir` on `go`, says the outcome and holds on. */
const CONTENDER = `
import { lockDataDir } from ${JSON.stringify(LOCK_MODULE)};
const [dir, staleMs, waitMs] = process.argv.slice(1);
process.stdout.write('ready\\n');
process.stdin.once('data', async (go) => {
  // Both racers start at the same instant: the time the parent sent, waited for to the millisecond.
  const at = Number(String(go).trim());
  while (Date.now() < at);
  try {
    await lockDataDir(dir, { staleMs: Number(staleMs), updateMs: 1000, waitMs: Number(waitMs) });
    process.stdout.write('locked\\n');
  } catch (error) {
    process.stdout.write('refused ' + error.code + '\\n');
  }
});
process.stdin.on('end', () => process.exit(0));
`;

interface Contender {
  child: ChildProcess;
  next(): Promise<string>;
}

function contender(dir: string, staleMs = 2_000, waitMs = 0): Contender {
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', CONTENDER, dir, String(staleMs), String(waitMs)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return {
    child,
    next: async () => {
      const line = await lines.next();
      if (line.done) throw new Error('the contender exited without a word');
      return line.value;
    },
  };
}

/** A data directory whose lock was made by someone else, refreshed `ageMs` ago. */
function lockedDir(ageMs: number, owner = { pid: 999_999, host: 'other-container' }): string {
  const dir = tempDir('viewcast-lock-');
  const lock = join(dir, LOCK_FILE);
  mkdirSync(lock);
  const when = new Date(Date.now() - ageMs);
  utimesSync(lock, when, when);
  writeFileSync(join(dir, OWNER_FILE), JSON.stringify(owner));
  return dir;
}

describe('data-directory lock', { timeout: 120_000 }, () => {
  it("respects a fresh lock whatever its owner's process id (another container's process)", async () => {
    const dir = lockedDir(0);
    await assert.rejects(lockDataDir(dir, { waitMs: 0 }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'VIEWCAST_DATA_DIR_IN_USE');
      assert.match(error.message, /in use by another viewcast \(process 999999 on other-container\)/);
      return true;
    });
  });

  it('takes over a stale lock, and releases it', async () => {
    const dir = lockedDir(60_000);
    const lock = await lockDataDir(dir, { waitMs: 0 });
    await assert.rejects(lockDataDir(dir, { waitMs: 0 }), { code: 'VIEWCAST_DATA_DIR_IN_USE' });
    lock.release();
    lock.release();
    (await lockDataDir(dir, { waitMs: 0 })).release();
  });

  it('lets exactly one of two processes racing for a stale lock take it over', async () => {
    for (let round = 0; round < 16; round++) {
      const dir = lockedDir(60_000);
      const racers = [contender(dir), contender(dir)];
      try {
        for (const racer of racers) assert.equal(await racer.next(), 'ready');
        const at = Date.now() + 100;
        for (const racer of racers) racer.child.stdin!.write(`${at}\n`);
        const outcomes = (await Promise.all(racers.map((r) => r.next()))).sort();
        assert.deepEqual(outcomes, ['locked', 'refused VIEWCAST_DATA_DIR_IN_USE'], `round ${round}`);
      } finally {
        for (const racer of racers) racer.child.stdin!.end();
      }
    }
  });

  it('holds while its owner lives; after kill -9 the lock goes stale and is taken over', async () => {
    const dir = tempDir('viewcast-lock-');
    const owner = contender(dir);
    assert.equal(await owner.next(), 'ready');
    owner.child.stdin!.write('0\n');
    assert.equal(await owner.next(), 'locked');
    const rival = contender(dir);
    assert.equal(await rival.next(), 'ready');
    rival.child.stdin!.write('0\n');
    assert.equal(await rival.next(), 'refused VIEWCAST_DATA_DIR_IN_USE');
    rival.child.stdin!.end();
    const killed = new Promise((resolve) => owner.child.once('exit', resolve));
    owner.child.kill('SIGKILL');
    await killed;
    const lock = await lockDataDir(dir, { staleMs: 2_000, waitMs: 10_000 });
    lock.release();
  });
});
