/**
 * Latency histograms that load-generator processes fill and the parent merges: millions of samples
 * cost a fixed few kilobytes instead of arrays that would have to cross process boundaries.
 */
import { loadavg } from 'node:os';

/** 0.05 ms steps up to 50 ms, then 1 ms steps up to 60 s; beyond that one overflow bucket. */
const FINE_STEP = 0.05;
const FINE_LIMIT = 50;
const COARSE_STEP = 1;
const COARSE_LIMIT = 60_000;
const FINE_BUCKETS = Math.round(FINE_LIMIT / FINE_STEP);
const BUCKETS = FINE_BUCKETS + Math.round((COARSE_LIMIT - FINE_LIMIT) / COARSE_STEP) + 1;

export interface HistogramData {
  counts: Record<string, number>;
  total: number;
  max: number;
  min: number;
}

function bucketOf(ms: number): number {
  if (ms < 0) return 0; // clocks of two processes can disagree by microseconds
  if (ms < FINE_LIMIT) return Math.floor(ms / FINE_STEP);
  if (ms < COARSE_LIMIT) return FINE_BUCKETS + Math.floor((ms - FINE_LIMIT) / COARSE_STEP);
  return BUCKETS - 1;
}

/** The upper edge of a bucket, so a percentile never claims better than was measured. */
function upperEdge(bucket: number): number {
  if (bucket < FINE_BUCKETS) return (bucket + 1) * FINE_STEP;
  if (bucket < BUCKETS - 1) return FINE_LIMIT + (bucket - FINE_BUCKETS + 1) * COARSE_STEP;
  return Infinity;
}

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  total = 0;
  max = -Infinity;
  min = Infinity;

  add(ms: number): void {
    const bucket = bucketOf(ms);
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
    this.total++;
    if (ms > this.max) this.max = ms;
    if (ms < this.min) this.min = ms;
  }

  /** The value below which `p` (0..1) of the samples fall, in ms; NaN when empty. */
  percentile(p: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(p * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(upperEdge(i), this.max);
    }
    return this.max;
  }

  toJSON(): HistogramData {
    const counts: Record<string, number> = {};
    this.counts.forEach((count, i) => {
      if (count > 0) counts[i] = count;
    });
    return { counts, total: this.total, max: this.max, min: this.min };
  }

  merge(data: HistogramData): void {
    for (const [bucket, count] of Object.entries(data.counts)) {
      const i = Number(bucket);
      this.counts[i] = (this.counts[i] ?? 0) + count;
    }
    this.total += data.total;
    if (data.total > 0) {
      this.max = Math.max(this.max, data.max);
      this.min = Math.min(this.min, data.min);
    }
  }
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function fmt(value: number | null, digits = 1): string {
  if (value === null || Number.isNaN(value)) return '-';
  if (!Number.isFinite(value)) return String(value);
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function ratio(ours: number, baseline: number): number | null {
  if (!Number.isFinite(ours) || !Number.isFinite(baseline) || baseline === 0) return null;
  return Math.round((ours / baseline) * 100) / 100;
}

/** Prints rows as a Markdown table, so a run's output can go into BENCHMARKS.md as it is. */
export function printTable(header: string[], rows: Array<Array<string | number>>): void {
  const lines = [header, header.map(() => '---'), ...rows.map((r) => r.map(String))];
  for (const line of lines) process.stdout.write(`| ${line.join(' | ')} |\n`);
}

export function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

/** How busy the machine was: other work on a shared machine shows up in every figure. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}
