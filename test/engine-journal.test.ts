/**
 * The engine store's journal: a commit is one record appended to `state/journal-a|b` and copied into
 * LMDB by checkpoints. A process killed between commits, or between any two steps of a checkpoint,
 * reopens at its last committed transaction, positions and state together; a torn or corrupt record
 * at the end is cut off with a log line; reads see committed writes before any checkpoint.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { LmdbEngineStore, type CommitMode } from '../src/engine/store/lmdb-store.js';
import { suiteTempDirs } from './support/engine.js';

const fresh = suiteTempDirs();
const CHILD = new URL('./support/journal-child.js', import.meta.url).pathname;

/** Runs the child until it prints `until`, then kills it with SIGKILL. */
async function runAndKill(
  dir: string,
  count: number,
  mode: CommitMode,
  stopAt: string,
  until: string,
): Promise<void> {
  const child = spawn(process.execPath, [CHILD, dir, String(count), mode, stopAt], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  let seen = false;
  for await (const line of createInterface({ input: child.stdout })) {
    if (line === until) {
      seen = true;
      child.kill('SIGKILL');
      break;
    }
  }
  await exited;
  assert.ok(seen, `the child never printed ${until}`);
}

/** What a reopened store holds: the timestamp, the position and the entries the child wrote. */
function contents(store: LmdbEngineStore): {
  t: number;
  src: string | null;
  entries: Record<string, unknown>;
} {
  return {
    t: store.lastTimestamp,
    src: store.position('src'),
    entries: Object.fromEntries(store.entries('op')),
  };
}

/** What a store holds after the child's transactions 1..n. */
function expected(n: number): ReturnType<typeof contents> {
  const entries: Record<string, unknown> = { count: n };
  for (let i = Math.max(1, n - 6); i <= n; i++) entries[`k${i % 7}`] = [BigInt(i) * 2n ** 64n, `ü${i}`];
  return { t: n, src: String(n), entries };
}

function reopen(dir: string): { store: LmdbEngineStore; seen: ReturnType<typeof contents> } {
  const store = new LmdbEngineStore(dir);
  return { store, seen: contents(store) };
}

const journalFiles = (dir: string): string[] => ['journal-a', 'journal-b'].map((f) => join(dir, f));
const journalBytes = (dir: string): number => journalFiles(dir).reduce((sum, f) => sum + statSync(f).size, 0);

describe('engine journal', { timeout: 120_000 }, () => {
  it('reopens at the last transaction after a clean close, with an empty journal', async () => {
    const dir = join(fresh(), 'state');
    const store = new LmdbEngineStore(dir, 'async', true, { checkpointMs: 3_600_000 });
    for (let i = 1; i <= 20; i++) {
      store.set('op', 'count', i);
      store.set('op', `k${i % 7}`, [BigInt(i) * 2n ** 64n, `ü${i}`]);
      store.setMeta('views_hash', `h${i}`);
      await store.commit(i, { src: String(i) }, { timestamp: i, changes: [] });
    }
    await store.close();
    assert.equal(journalBytes(dir), 0);
    const { store: again, seen } = reopen(dir);
    try {
      assert.deepEqual(seen, expected(20));
      assert.equal(again.meta('views_hash'), 'h20');
      assert.deepEqual(again.pending, { timestamp: 20, changes: [] });
    } finally {
      await again.close();
    }
  });

  for (const mode of ['async', 'sync'] as const)
    it(`keeps every committed transaction when killed between commits (${mode})`, async () => {
      const dir = join(fresh(), 'state');
      await runAndKill(dir, 30, mode, 'end', 'DONE');
      assert.ok(journalBytes(dir) > 0, 'the transactions are in the journal, not yet in LMDB');
      const { store, seen } = reopen(dir);
      await store.close();
      assert.deepEqual(seen, expected(30));
    });

  for (const step of ['switched', 'sliced', 'stored'])
    it(`keeps every committed transaction when killed in a checkpoint, ${step}`, async () => {
      const dir = join(fresh(), 'state');
      await runAndKill(dir, 25, 'async', step, `STEP ${step}`);
      const { store, seen } = reopen(dir);
      try {
        // The transaction committed during the checkpoint went to the other file: it is kept too.
        assert.deepEqual(seen, expected(26));
        assert.deepEqual(store.notes, []);
        store.set('op', 'count', 27);
        await store.commit(27, { src: '27' }, null);
      } finally {
        await store.close();
      }
      const { store: third, seen: after } = reopen(dir);
      await third.close();
      assert.equal(after.entries['count'], 27);
      assert.equal(after.src, '27');
    });

  it('cuts off a torn last record with a log line and keeps the transactions before it', async () => {
    const dir = join(fresh(), 'state');
    await runAndKill(dir, 12, 'async', 'end', 'DONE');
    const [active] = journalFiles(dir).filter((f) => statSync(f).size > 0) as [string];
    truncateSync(active, statSync(active).size - 5);
    const { store, seen } = reopen(dir);
    try {
      assert.deepEqual(seen, expected(11));
      assert.match(store.notes.join('\n'), /journal: cut off .*journal-a: \d+ bytes after offset \d+/);
      store.set('op', 'count', 12);
      await store.commit(12, { src: '12' }, null);
    } finally {
      await store.close();
    }
    const { store: again, seen: after } = reopen(dir);
    await again.close();
    assert.deepEqual(again.notes, []);
    assert.equal(after.entries['count'], 12);
  });

  it('stops at a corrupt record: the transactions after it are not applied', async () => {
    const dir = join(fresh(), 'state');
    await runAndKill(dir, 10, 'async', 'end', 'DONE');
    const [active] = journalFiles(dir).filter((f) => statSync(f).size > 0) as [string];
    const bytes = readFileSync(active);
    // One flipped byte in the sixth record's payload (records are the same length here).
    const recordLength = bytes.readUInt32LE(0) + 16;
    const at = 5 * recordLength + 20;
    bytes[at] = (bytes[at] as number) ^ 0xff;
    writeFileSync(active, bytes);
    const { store, seen } = reopen(dir);
    await store.close();
    assert.deepEqual(seen, expected(5));
    assert.match(store.notes.join('\n'), /journal: cut off/);
  });
});
