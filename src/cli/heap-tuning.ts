/**
 * V8's heap sized for a server that ingests in bursts and serves sockets, set at process start
 * (bin/viewcast.js, before the command's modules load; the benchmark runner too, so that in-process
 * benchmarks measure what the server runs).
 *
 * - **Young generation bounded at 4 MiB semi-spaces** (V8 grows them to 16 MiB on a large machine).
 *   At full speed about a quarter of what a scavenge finds is still alive (transactions in flight,
 *   retained batches), and a scavenge copies it on the main thread: 16 MiB semi-spaces made pauses
 *   of 10-35 ms and held 32 MiB resident; 4 MiB ones pause a few ms. Smaller (1-2 MiB) made so many
 *   scavenges that their total time grew past the benefit. `--max-semi-space-size` is read only
 *   when the heap is set up, so the bound is kept at run time with the growth factor V8 reads
 *   whenever it grows the new space: 1 (no growth) except for one step up to the bound after a
 *   scavenge (start-up runs in V8's smallest young generation, 1 MiB semi-spaces).
 * - The old generation is left to V8, which lets it grow to 3-4x the live heap between major
 *   collections on a machine with a lot of memory. A smaller factor (`node --heap-growing-percent=50
 *   bin/viewcast.js serve`) holds less garbage but cost 15-30% of the throughput at full speed in
 *   BENCHMARKS.md's measurements ("Footprint, third pass"), so it is not the default.
 *
 * Flags given to node itself (`node --max-semi-space-size=16 ...` or NODE_OPTIONS) win.
 * `VIEWCAST_HEAP_TUNING=off` leaves V8's defaults.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

export const SEMI_SPACE_MIB = 4;

export interface HeapTuning {
  /** The young generation's bound in MiB (one semi-space), or null when left to V8. */
  semiSpaceMiB: number | null;
  /** Start-up is over: the young generation may grow to its bound. */
  started(): void;
  stop(): void;
}

function givenToNode(flag: string, execArgv: readonly string[], nodeOptions: string): boolean {
  const spellings = [flag, `--${flag.slice(2).replaceAll('-', '_')}`];
  const words = [...execArgv, ...nodeOptions.split(/\s+/)];
  return words.some((word) => spellings.some((s) => word === s || word.startsWith(`${s}=`)));
}

function newSpaceBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/** Applies the tuning above to this process (once, at start; `started()` once the command has started). */
export function tuneHeap(
  env: NodeJS.ProcessEnv = process.env,
  execArgv: readonly string[] = process.execArgv,
): HeapTuning {
  const nodeOptions = env['NODE_OPTIONS'] ?? '';
  const boundSemiSpace =
    env['VIEWCAST_HEAP_TUNING'] !== 'off' &&
    !givenToNode('--max-semi-space-size', execArgv, nodeOptions) &&
    !givenToNode('--semi-space-growth-factor', execArgv, nodeOptions);
  let observer: PerformanceObserver | null = null;
  const setGrowthFactor = (factor: number): void =>
    setFlagsFromString(`--semi-space-growth-factor=${factor}`);
  // No growth during start-up: its long synchronous tasks run many scavenges between two
  // callbacks of the observer, so a growth factor could not be taken back in time.
  if (boundSemiSpace) setGrowthFactor(1);
  const started = (): void => {
    if (!boundSemiSpace || observer) return;
    // The new space is two semi-spaces. After a scavenge with room below the bound, one growth is
    // allowed, by the factor that lands on the bound, until the end of this turn of the event loop
    // (V8 grows the new space in a scavenge when much of it survived).
    const bound = 2 * SEMI_SPACE_MIB * 1024 * 1024;
    let open = false;
    observer = new PerformanceObserver((list) => {
      const minor = list
        .getEntries()
        .some(
          (e) => (e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR,
        );
      const size = newSpaceBytes();
      if (!minor || open || size === 0 || size * 2 > bound) return;
      open = true;
      setGrowthFactor(Math.floor(bound / size));
      setImmediate(() => {
        open = false;
        setGrowthFactor(1);
      }).unref();
    });
    observer.observe({ entryTypes: ['gc'] });
  };
  return {
    semiSpaceMiB: boundSemiSpace ? SEMI_SPACE_MIB : null,
    started,
    stop: () => observer?.disconnect(),
  };
}
