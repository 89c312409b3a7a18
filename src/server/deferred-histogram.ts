/**
 * A prom-client histogram whose observations are buffered and counted into it when `/metrics` is
 * scraped (or when the buffer is full). Observed once per transaction at the live rate, prom-client's
 * label hashing, closure and bucket search ran as cold code every time (about 2% of an idle server's
 * CPU, BENCHMARKS.md "Idle cost, fourth pass"); a scrape counts them all in one tight loop. Every
 * scrape reads exactly what observing at once would have given.
 */
import { Histogram, type HistogramConfiguration } from 'prom-client';

/** Observations held between scrapes; a full buffer is counted in at once, so memory stays bounded. */
const BUFFERED = 4096;

export class DeferredHistogram {
  private readonly histogram: Histogram;
  private readonly buffered = new Float64Array(BUFFERED);
  private count = 0;

  constructor(configuration: Omit<HistogramConfiguration<string>, 'collect'>) {
    this.histogram = new Histogram({ ...configuration, collect: () => this.countIn() });
  }

  observe(seconds: number): void {
    if (this.count === BUFFERED) this.countIn();
    this.buffered[this.count++] = seconds;
  }

  private countIn(): void {
    const { histogram, buffered } = this;
    for (let i = 0; i < this.count; i++) histogram.observe(buffered[i] as number);
    this.count = 0;
  }
}
