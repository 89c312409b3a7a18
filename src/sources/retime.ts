/**
 * `--retime`: a replayed event takes the time at which it is replayed, so that views
 * with sliding windows (`mz_now() <= to_timestamp(r_ts) + INTERVAL '5 minutes'`) and the dashboard
 * see a recording as live. Both times of a Wikimedia event move: `timestamp` (whole seconds since
 * the epoch, as the stream sends it) and `meta.dt` (ISO 8601 with milliseconds). Off by default: a
 * plain replay reproduces the recording exactly.
 */
import type { RawEvent } from './types.js';

export function retimeEvent(event: RawEvent, now: number): void {
  const record = event as Record<string, unknown>;
  record['timestamp'] = Math.floor(now / 1000);
  const meta = record['meta'];
  if (meta !== null && typeof meta === 'object' && !Array.isArray(meta))
    (meta as Record<string, unknown>)['dt'] = new Date(now).toISOString();
}
