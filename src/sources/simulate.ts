/**
 * A built-in generator of realistic recentchange events, for when the live stream cannot be reached.
 * Its frequencies are counted from the recordings in shared data (see simulate-calibration.ts): about
 * half `categorize`, 40% `edit`, 7% `log`, 4% `new`; near half of the events by bots; a heavy tail
 * where a few accounts make most of the events; Commons, Wikisource and Wikidata busiest among ~40
 * wikis. Arrivals are Poisson at `rate`. Events have the real schema, so every view works on them.
 */
import { EventGenerator, mulberry32 } from './simulate-events.js';
import { Sleeper } from './sleeper.js';
import type { EventSink, Source, SourceStatus } from './types.js';

export interface SimulateOptions {
  /** Events per second on average. */
  rate: number;
  seed: number;
}

export class SimulateSource implements Source {
  readonly kind = 'simulate';
  readonly id = 'simulate';
  private stopped = false;
  private emitted = 0;
  private readonly generator: EventGenerator;
  private readonly gaps: () => number;
  private readonly sleeper = new Sleeper();

  constructor(private readonly options: SimulateOptions) {
    this.generator = new EventGenerator(options.seed);
    // The gaps come from their own stream so that the events do not depend on the rate.
    this.gaps = mulberry32(options.seed ^ 0x9e3779b9);
  }

  describe(): string {
    return `simulator of realistic Wikipedia edits at about ${this.options.rate} events/s (seed ${this.options.seed})`;
  }

  async run(sink: EventSink): Promise<void> {
    let due = Date.now();
    while (!this.stopped) {
      // Exponential gaps between events give the bursty arrivals of the live stream.
      due += (-Math.log(1 - this.gaps()) / this.options.rate) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await this.sleeper.sleep(wait);
      if (this.stopped) break;
      this.emitted++;
      const backpressure = sink.push(this.generator.next(Date.now()), null);
      if (backpressure) await backpressure;
    }
  }

  stop(): void {
    this.stopped = true;
    this.sleeper.wake();
  }

  status(): SourceStatus {
    return {
      kind: this.kind,
      emitted: this.emitted,
      finished: false,
      rate: this.options.rate,
      seed: this.options.seed,
    };
  }
}
