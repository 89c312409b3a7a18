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

/** A gauge; a value that is not a finite number reads as 0. */
export function scrapedGauge(registers: Registry[], metric: ScrapedMetric): void {
  const { name, help, labelNames = [] } = metric;
  scraped(
    (collect) => new Gauge({ name, help, labelNames, registers, collect }),
    (gauge, labels, value) => gauge.set(labels, Number.isFinite(value) ? value : 0),
    metric.values,
  );
}

/** A counter of a total the server keeps itself: set to that total (never below 0) at every scrape. */
export function scrapedCounter(registers: Registry[], metric: ScrapedMetric): void {
  const { name, help, labelNames = [] } = metric;
  scraped(
    (collect) => new Counter({ name, help, labelNames, registers, collect }),
    (counter, labels, value) => counter.inc(labels, Math.max(0, value)),
    metric.values,
  );
}

/** Makes a metric that, when scraped, is reset and then given every value `values` returns. */
function scraped<M extends Gauge | Counter>(
  create: (collect: () => void) => M,
  write: (metric: M, labels: Record<string, string>, value: number) => void,
  values: () => LabelledValues,
): void {
  const metric: M = create(() => {
    metric.reset();
    for (const [labels, value] of values()) write(metric, labels, value);
  });
}
