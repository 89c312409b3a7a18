/**
 * Gauges and counters read at scrape time: each is a function that returns its labelled values from
 * what the server keeps anyway, asked only when `/metrics` is scraped, so that nothing is counted on
 * the hot path.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export type LabelledValues = Array<[labels: Record<string, string>, value: number]>;

export interface ScrapedMetric {
  name: string;
  help: string;
  /** The labels every value names; none by default. */
  labelNames?: string[];
  values: () => LabelledValues;
}

/** A gauge; a value that is not a finite number (an empty view's average) reads as 0. */
export function scrapedGauge(
  registers: Registry[],
  { name, help, labelNames = [], values }: ScrapedMetric,
): void {
  const gauge: Gauge = new Gauge({
    name,
    help,
    labelNames,
    registers,
    collect: () => {
      gauge.reset();
      for (const [labels, value] of values()) gauge.set(labels, Number.isFinite(value) ? value : 0);
    },
  });
}

/** A counter of a total the server keeps itself: set to that total (never below 0) at every scrape. */
export function scrapedCounter(
  registers: Registry[],
  { name, help, labelNames = [], values }: ScrapedMetric,
): void {
  const counter: Counter = new Counter({
    name,
    help,
    labelNames,
    registers,
    collect: () => {
      counter.reset();
      for (const [labels, value] of values()) counter.inc(labels, Math.max(0, value));
    },
  });
}
