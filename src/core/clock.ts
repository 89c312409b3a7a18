/**
 * Wall-clock time as the engine reads it: now, and a callback every so many milliseconds. Injected
 * so that tests drive time (a window that closes in five minutes, a tick while idle) without
 * sleeping: see `manualClock` in test/support/clock.ts.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` every `ms` milliseconds until the returned function is called. */
  every(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    // A tick alone must not keep a process alive (a CLI command that has finished its work).
    timer.unref();
    return () => clearInterval(timer);
  },
};
