/**
 * Wall-clock time as the engine and the hub read it: now, a callback every so many milliseconds,
 * and a callback once after so many. Injected so that tests drive time (a window that closes in
 * five minutes, a tick while idle, a view silent for a minute) without sleeping: see `manualClock`
 * in test/support/clock.ts.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` every `ms` milliseconds until the returned function is called. */
  every(ms: number, fn: () => void): () => void;
  /** Calls `fn` once after `ms` milliseconds unless the returned function is called first. */
  schedule(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    // A timer alone must not keep a process alive (a CLI command that has finished its work).
    timer.unref();
    return () => clearInterval(timer);
  },
  schedule(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};
