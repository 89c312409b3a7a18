/**
 * Time as the hub sees it: injected, so that tests drive "a view has been silent for a minute"
 * without waiting a minute.
 */
export interface HubClock {
  now(): number;
  /** Calls `callback` once after `ms`; returns a function that cancels it. Must not keep the process alive. */
  schedule(ms: number, callback: () => void): () => void;
}

export const systemClock: HubClock = {
  now: () => Date.now(),
  schedule(ms, callback) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};
