/**
 * Edits per second over the last minutes, from the counter's changes: each batch adds its delta to
 * the second of its engine timestamp. Immutable, so the store can tell when it changed.
 */
export const RATE_WINDOW_SECONDS = 300;

export interface RateSeries {
  /** Edits per engine-time second (ms since the epoch / 1000, floored). */
  buckets: ReadonlyMap<number, number>;
  /** The newest second the page knows of: the right edge of the chart. */
  end: number | null;
}

export const EMPTY_RATE: RateSeries = { buckets: new Map(), end: null };

export function addToRate(series: RateSeries, timestamp: number, edits: number): RateSeries {
  const second = Math.floor(timestamp / 1000);
  const end = series.end === null ? second : Math.max(series.end, second);
  if (edits === 0 && end === series.end) return series;
  const buckets = new Map<number, number>();
  for (const [s, n] of series.buckets) if (s > end - RATE_WINDOW_SECONDS) buckets.set(s, n);
  if (edits !== 0 && second > end - RATE_WINDOW_SECONDS)
    buckets.set(second, (buckets.get(second) ?? 0) + edits);
  return { buckets, end };
}
