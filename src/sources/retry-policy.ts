/**
 * When to reconnect to a stream, as pure functions. 403 is final (the server refuses this client,
 * retrying will not change that); 429 and 5xx wait as long as `Retry-After` says when it says
 * anything; every other failure waits a jittered, exponentially growing delay, so that many clients
 * dropped at once do not come back at once.
 */
import type { BackoffOptions } from '../core/backoff.js';

/** Backoff comes from core/backoff.ts (one implementation for the whole project). */
export { backoffDelay } from '../core/backoff.js';
export type BackoffSettings = BackoffOptions;

export const DEFAULT_BACKOFF: BackoffSettings = { initialMs: 1000, maxMs: 60_000 };

/** The longest `Retry-After` honoured, so a bad header cannot park the source for days. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** `Retry-After` as ms from `now`: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | null {
  if (header === null) return null;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.min(MAX_RETRY_AFTER_MS, Math.round(Number(text) * 1000));
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, date - now));
}

export type ResponseVerdict =
  | { action: 'read' }
  | { action: 'give-up'; why: string }
  | { action: 'retry'; why: string; delayMs: number | null };

/** What to do with a response's status; a `null` delay means "use the backoff". */
export function judgeResponse(
  status: number,
  retryAfter: string | null,
  now: number = Date.now(),
): ResponseVerdict {
  if (status === 200) return { action: 'read' };
  if (status === 403) return { action: 'give-up', why: 'HTTP 403 Forbidden' };
  if (status === 429 || (status >= 500 && status <= 599)) {
    const delayMs = parseRetryAfter(retryAfter, now);
    return {
      action: 'retry',
      why: `HTTP ${status}${delayMs === null ? '' : ` with Retry-After: ${retryAfter}`}`,
      delayMs,
    };
  }
  return { action: 'retry', why: `HTTP ${status}`, delayMs: null };
}
