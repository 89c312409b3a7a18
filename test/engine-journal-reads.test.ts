/**
 * The engine store's journal while running: reads see every committed write before a checkpoint and
 * while one runs (entries in LMDB's key order, removals hidden), a checkpoint keeps only the last
 * write per key, and with `--sync-commits` a commit resolves only after its record was fdatasync'd
 * (the real fdatasync is observed, and held back, by wrapping node:fs).
 */
import assert from 'node:assert/strict';
import fs, { statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { open } from 'lmdb';
import { LmdbEngineStore } from '../src/engine/store/lmdb-store.js';
import { suiteTempDirs } from './support/engine.js';

const fresh = suiteTempDirs();
const NO_TIMER = { checkpointMs: 3_600_000 };
/** Keys whose UTF-16 order differs from LMDB's (UTF-8) order: U+FF5E sorts before U+1F600 there. */
const KEYS = ['a', 'b\u00e9', '\uff5e', '\u{1f600}', 'z'];

const journalBytes = (dir: string): number =>
  ['journal-a', 'journal-b'].reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);

/**
 * Wraps fs.fdatasync: counts calls and holds each one's completion until `release`; `done` resolves
 * once a real fdatasync has completed (and is held).
 */
function holdFdatasync(): {
  calls: () => number;
  done: Promise<void>;
  release: () => void;
  restore: () => void;
} {
  const real = fs.fdatasync;
  const held: Array<() => void> = [];
  let calls = 0;
  let completed = (): void => undefined;
  const done = new Promise<void>((resolve) => (completed = resolve));
  fs.fdatasync = ((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
    calls++;
    real(fd, (error) => {
      held.push(() => callback(error));
      completed();
    });
  }) as typeof fs.fdatasync;
  syncBuiltinESMExports();
  return {
    calls: () => calls,
    done,
    release: () => held.splice(0).forEach((done) => done()),
    restore: () => {
      fs.fdatasync = real;
      syncBuiltinESMExports();
    },
  };
}

describe('engine journal while running', { timeout: 60_000 }, () => {
  it('reads see committed writes before and during a checkpoint, in LMDB key order', async () => {
    const dir = join(fresh(), 'state');
    const store = new LmdbEngineStore(dir, 'async', true, NO_TIMER);
    try {
      for (const [i, key] of KEYS.entries()) store.set('op', key, i);
      store.setMeta('views_hash', 'x');
      await store.commit(1, { src: '1' }, null);
      await store.checkpoint();
      const stored = [...store.entries('op')];
      store.set('op', 'm', 'new');
      store.delete('op', 'z');
      store.set('op', 'a', 'changed');
      // Pending U+1F600 against stored U+FF5E: the merge must order them as LMDB does.
      store.set('op', '\u{1f600}', 'three');
      await store.commit(2, { src: '2' }, null);
      // UTF-8 order: ASCII, then U+00E9, U+FF5E, U+1F600 (JavaScript's sort would swap the last two).
      assert.deepEqual(
        stored.map(([k]) => k),
        ['a', 'b\u00e9', 'z', '\uff5e', '\u{1f600}'],
      );
      const want = [
        ['a', 'changed'],
        ['b\u00e9', 1],
        ['m', 'new'],
        ['\uff5e', 2],
        ['\u{1f600}', 'three'],
      ];
      assert.deepEqual([...store.entries('op')], want, 'before the checkpoint');
      assert.equal(store.position('src'), '2');
      assert.equal(store.count('op'), 5);
      const running = store.checkpoint();
      assert.deepEqual([...store.entries('op')], want, 'while the checkpoint runs');
      await running;
      assert.deepEqual([...store.entries('op')], want, 'after it');
      assert.equal(store.meta('views_hash'), 'x');
    } finally {
      await store.close();
    }
  });

  it('a checkpoint writes the last value of each key once and empties the journal', async () => {
    const dir = join(fresh(), 'state');
    const store = new LmdbEngineStore(dir, 'async', true, NO_TIMER);
    try {
      for (let i = 1; i <= 500; i++) {
        store.set('op', 'hot', i);
        if (i % 2) store.set('op', 'flip', i);
        else store.delete('op', 'flip');
        await store.commit(i, { src: String(i) }, null);
      }
      assert.ok(journalBytes(dir) > 500 * 20);
      await store.checkpoint();
      assert.equal(journalBytes(dir), 0);
      // LMDB itself (the same environment, read directly) holds the coalesced state.
      const raw = open({ path: dir, encoder: { useBigIntExtension: true } as never, compression: false });
      assert.equal(raw.get('s\x1fop\x1f=hot'), 500);
      assert.equal(raw.get('s\x1fop\x1f=flip'), undefined);
      assert.equal(raw.get('p\x1fsrc'), '500');
      assert.equal(raw.get('j'), 500);
    } finally {
      await store.close();
    }
  });

  it('a journal that passes its size limit is checkpointed without waiting for the timer', async () => {
    const dir = join(fresh(), 'state');
    const store = new LmdbEngineStore(dir, 'async', true, { checkpointMs: 3_600_000, checkpointBytes: 2048 });
    try {
      for (let i = 1; i <= 200; i++) {
        store.set('op', `k${i}`, 'x'.repeat(100));
        await store.commit(i, { src: String(i) }, null);
      }
      assert.ok(journalBytes(dir) < 8192, `the journal holds ${journalBytes(dir)} bytes`);
      assert.equal(store.count('op'), 200);
    } finally {
      await store.close();
    }
  });

  it('with --sync-commits a commit resolves only after its record is fdatasync-ed', async () => {
    const fdatasync = holdFdatasync();
    const dir = join(fresh(), 'state');
    const store = new LmdbEngineStore(dir, 'sync', true, NO_TIMER);
    try {
      store.set('op', 'a', 1);
      let resolved = false;
      const commit = store.commit(1, { src: '1' }, null).then(() => (resolved = true));
      // The fdatasync has run (its completion held back here): the commit must still wait for it.
      await fdatasync.done;
      assert.equal(fdatasync.calls(), 1);
      assert.equal(resolved, false);
      fdatasync.release();
      await commit;
      assert.equal(resolved, true);
    } finally {
      fdatasync.restore();
      await store.close();
    }
  });

  it('without it a commit resolves with no fdatasync', async () => {
    const fdatasync = holdFdatasync();
    const dir = join(fresh(), 'state');
    const store = new LmdbEngineStore(dir, 'async', true, NO_TIMER);
    try {
      for (let i = 1; i <= 10; i++) {
        store.set('op', 'a', i);
        await store.commit(i, { src: String(i) }, null);
      }
      assert.equal(fdatasync.calls(), 0);
    } finally {
      fdatasync.restore();
      await store.close();
    }
  });
});
