/**
 * Reconnect delays: exponential with full jitter, so that a thousand pages that lost the same server
 * do not all knock on its door in the same millisecond when it comes back.
 */
export interface BackoffOptions {
  /** Delay ceiling before the first retry, in ms. */
  initialMs: number;
  /** Largest delay, in ms. */
  maxMs: number;
  /** Growth per failed attempt. */
  multiplier: number;
}

export const BACKOFF_DEFAULTS: BackoffOptions = { initialMs: 250, maxMs: 10_000, multiplier: 2 };

/**
 * The delay before attempt `attempt` (0 for the first retry): a random value between half the
 * ceiling and the ceiling, the ceiling growing by `multiplier` per attempt up to `maxMs`.
 * `random` is injectable so that tests can pin it.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = BACKOFF_DEFAULTS,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * options.multiplier ** Math.max(0, attempt));
  return Math.round(ceiling * (0.5 + random() / 2));
}
