/**
 * A process that starts an engine whose views file needs a recompute, and stops dead once the
 * recompute has committed part of its state: it prints `COMMITTED` and blocks, for the parent to
 * kill it with SIGKILL. Arguments: views file, data directory, clock time (ms).
 */
import { EmbeddedEngine } from '../../src/engine/embedded/engine.js';
import { manualClock } from './clock.js';

const [viewsFile, dataDir, now] = process.argv.slice(2) as [string, string, string];
// Time stands still: no tick runs while the recompute does.
const clock = manualClock(Number(now));
const engine = new EmbeddedEngine({
  viewsFile,
  dataDir,
  clock,
  tickMs: 0,
  progressMs: 0,
  onProgress: (line) => {
    const done = /: ([\d,]+) \//.exec(line)?.[1];
    // Past 20,000 events the recompute has committed its first part (recompute.ts, COMMIT_EVERY).
    if (done && Number(done.replaceAll(',', '')) > 20_000) {
      process.stdout.write('COMMITTED\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    }
  },
});
await engine.start();
process.stdout.write('FINISHED\n');
