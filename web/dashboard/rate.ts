/**
 * Edits per second over the last minutes: from the windowed view `edits_per_second` (rows of
 * second, edits; views/wikirecent.sql) when the server has it, else from the counter's changes: each batch adds its delta to
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

/** The view that holds edits per second over the last five minutes (a temporal filter). */
export const RATE_VIEW = 'edits_per_second';

/** The series from the windowed view's rows [second, edits], with the chart's right edge at `timestamp`. */
export function rateFromRows(rows: ReadonlyArray<readonly unknown[]>, timestamp: number): RateSeries {
  const buckets = new Map<number, number>();
  for (const [second, edits] of rows) buckets.set(Number(second), Number(edits));
  return addToRate({ buckets, end: null }, timestamp, 0);
}
