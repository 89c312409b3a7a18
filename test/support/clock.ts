/**
 * A clock that moves only when a test says so: `advance(ms)` runs every callback due on the way,
 * in time order, at the time it is due (what `setInterval` would have done over that span).
 */
import type { Clock } from '../../src/core/clock.js';

export interface ManualClock extends Clock {
  /** Moves the time forward by `ms`, calling every callback due on the way. */
  advance(ms: number): void;
  set(time: number): void;
}

export function manualClock(start: number): ManualClock {
  let time = start;
  const timers = new Set<{ every: number; next: number; fn: () => void }>();
  const clock: ManualClock = {
    now: () => time,
    every(ms, fn) {
      const timer = { every: ms, next: time + ms, fn };
      timers.add(timer);
      return () => timers.delete(timer);
    },
    advance(ms) {
      clock.set(time + ms);
    },
    set(target) {
      for (;;) {
        let first: { every: number; next: number; fn: () => void } | null = null;
        for (const t of timers) if (t.next <= target && (!first || t.next < first.next)) first = t;
        if (!first) break;
        time = first.next;
        first.next += first.every;
        first.fn();
      }
      time = Math.max(time, target);
    },
  };
  return clock;
}
