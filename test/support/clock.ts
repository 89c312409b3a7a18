/**
 * A clock that moves only when a test says so: `advance(ms)` runs every callback due on the way,
 * in time order, at the time it is due (what `setInterval` and `setTimeout` would have done over
 * that span).
 */
import type { Clock } from '../../src/core/clock.js';

export interface ManualClock extends Clock {
  /** Moves the time forward by `ms`, calling every callback due on the way. */
  advance(ms: number): void;
  set(time: number): void;
}

/** `every`: the period of a repeating timer; null for a timer that runs once. */
interface Timer {
  every: number | null;
  next: number;
  fn: () => void;
}

export function manualClock(start = 0): ManualClock {
  let time = start;
  const timers = new Set<Timer>();
  const add = (timer: Timer): (() => void) => {
    timers.add(timer);
    return () => timers.delete(timer);
  };
  const clock: ManualClock = {
    now: () => time,
    every: (ms, fn) => add({ every: ms, next: time + ms, fn }),
    schedule: (ms, fn) => add({ every: null, next: time + ms, fn }),
    advance(ms) {
      clock.set(time + ms);
    },
    set(target) {
      for (;;) {
        let first: Timer | null = null;
        for (const t of timers) if (t.next <= target && (!first || t.next < first.next)) first = t;
        if (!first) break;
        time = first.next;
        if (first.every === null) timers.delete(first);
        else first.next += first.every;
        first.fn();
      }
      time = Math.max(time, target);
    },
  };
  return clock;
}
