/**
 * Retry delays, the one implementation for every part of viewcast that reconnects or retries (the
 * browser client, the Wikimedia source, the webhook forwarder, remote engines): exponential with
 * jitter, so that a thousand pages that lost the same server do not all knock on its door in the
 * same millisecond when it comes back.
 */
export interface BackoffOptions {
  /** Delay ceiling before the first retry, in ms. */
  initialMs: number;
  /** Largest delay, in ms. */
  maxMs: number;
  /** Growth per failed attempt; 2 when not given. */
  multiplier?: number;
}

export const BACKOFF_DEFAULTS: BackoffOptions = { initialMs: 250, maxMs: 10_000, multiplier: 2 };

/**
 * The delay before attempt `attempt` (0 for the first retry): a random value between half the
 * ceiling and the ceiling ("equal jitter": never zero, never in lockstep), the ceiling growing by
 * `multiplier` per attempt up to `maxMs`. `random` is injectable so that tests can pin it.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = BACKOFF_DEFAULTS,
  random: () => number = Math.random,
): number {
  const growth = (options.multiplier ?? 2) ** Math.min(Math.max(0, attempt), 64);
  const ceiling = Math.min(options.maxMs, options.initialMs * growth);
  return Math.round(ceiling * (0.5 + random() / 2));
}
