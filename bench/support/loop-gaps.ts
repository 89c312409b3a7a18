/**
 * Where the main thread's long stalls come from (`engine-event-loop --gaps`): a 1 ms timer notes
 * every gap of more than 10 ms between its runs, how much of the gap the main thread spent runnable
 * but waiting for the cpu (the kernel's schedstat, so: other threads, ours or not, had the cpu), and
 * how much of it V8's garbage collector held the main thread. The rest is the main thread's own work.
 */
import { readFileSync } from 'node:fs';
import type { PerformanceEntry } from 'node:perf_hooks';

const MAIN_SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
const GAP_MS = 10;

interface Gap {
  startMs: number;
  ms: number;
  waitMs: number;
}

function waitedNs(): number {
  return Number(readFileSync(MAIN_SCHEDSTAT, 'utf8').split(' ')[1]);
}

export interface GapProbe {
  /** Stops the probe and sums the gaps up against the GC pauses of the same time. */
  stop(gc: readonly PerformanceEntry[]): string;
}

export function probeGaps(): GapProbe {
  const gaps: Gap[] = [];
  let last = performance.now();
  let lastWait = waitedNs();
  const timer = setInterval(() => {
    const now = performance.now();
    const wait = waitedNs();
    if (now - last > GAP_MS) gaps.push({ startMs: last, ms: now - last, waitMs: (wait - lastWait) / 1e6 });
    last = now;
    lastWait = wait;
  }, 1);
  return {
    stop: (gc) => {
      clearInterval(timer);
      let all = 0;
      let waited = 0;
      let collected = 0;
      for (const gap of gaps) {
        all += gap.ms;
        waited += gap.waitMs;
        for (const pause of gc) {
          const overlap =
            Math.min(gap.startMs + gap.ms, pause.startTime + pause.duration) -
            Math.max(gap.startMs, pause.startTime);
          if (overlap > 0) collected += overlap;
        }
      }
      const longest = gaps
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 5)
        .map((g) => `${g.ms.toFixed(1)} (${g.waitMs.toFixed(1)} waiting)`);
      return (
        `${gaps.length} gaps over ${GAP_MS} ms, ${all.toFixed(0)} ms in all: waiting for the cpu ` +
        `${waited.toFixed(0)} ms, GC ${collected.toFixed(0)} ms (GC includes any wait during it); longest ${longest.join(', ')}`
      );
    },
  };
}
