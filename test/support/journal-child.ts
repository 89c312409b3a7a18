/**
 * A process that commits numbered transactions to an engine store and can be killed at a chosen
 * moment. Each transaction `i` sets the entry `count` to i, the entry `k<i % 7>` to i, removes
 * `gone`, and moves the position of source `src` to i; it prints `COMMITTED i` once the commit
 * resolved. Arguments: state directory, number of transactions, mode (`async` or `sync`), and where
 * to stop: `end` (print DONE and block), `switched`, `sliced` or `stored` (run a checkpoint after the last
 * transaction; at that step commit one transaction more, print STEP and block). Blocking keeps the
 * process alive, as it is, for the parent's SIGKILL.
 */
import { LmdbEngineStore, type CommitMode } from '../../src/engine/store/lmdb-store.js';

const [dir, countText, mode, stopAt] = process.argv.slice(2) as [string, string, CommitMode, string];
const count = Number(countText);
const block = (): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);

function stage(store: LmdbEngineStore, i: number): void {
  store.set('op', 'count', i);
  store.set('op', `k${i % 7}`, [BigInt(i) * 2n ** 64n, `ü${i}`]);
  store.delete('op', 'gone');
}

const store: LmdbEngineStore = new LmdbEngineStore(dir, mode, true, {
  checkpointMs: 3_600_000,
  // Slices of two writes: a checkpoint takes several LMDB transactions, `sliced` stops after the first.
  checkpointSlice: 2,
  onCheckpointStep: (step) => {
    if (step !== stopAt) return;
    stage(store, count + 1);
    void store.commit(count + 1, { src: String(count + 1) }, null);
    process.stdout.write(`STEP ${step}\n`);
    block();
  },
});
for (let i = 1; i <= count; i++) {
  stage(store, i);
  await store.commit(i, { src: String(i) }, null);
  process.stdout.write(`COMMITTED ${i}\n`);
}
if (stopAt === 'end') {
  process.stdout.write('DONE\n');
  block();
}
await store.checkpoint();
