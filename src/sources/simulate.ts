/**
 * A built-in generator of realistic recentchange events, for when the live stream cannot be reached.
 * The mix follows the recordings in shared data: about half `categorize`, 38% `edit`, 6% `log`,
 * 5% `new`; 45% bot events; a heavy-tailed user activity where a few users (mostly bots) make a large
 * share of the events; Commons and Wikidata busiest among ~20 wikis. Events have the real schema.
 */
import type { EventSink, RawEvent, Source, SourceStatus } from './types.js';
import { simulatedEvent, type Rng, mulberry32 } from './simulate-events.js';

export interface SimulateOptions {
  /** Events per second on average (arrivals are Poisson). */
  rate: number;
  seed: number;
}

export class SimulateSource implements Source {
  readonly kind = 'simulate';
  readonly id = 'simulate';
  private stopped = false;
  private emitted = 0;
  private readonly rng: Rng;
  private wake: (() => void) | null = null;

  constructor(private readonly options: SimulateOptions) {
    this.rng = mulberry32(options.seed);
  }

  describe(): string {
    return `simulator of realistic Wikipedia edits at about ${this.options.rate} events/s (seed ${this.options.seed})`;
  }

  async run(sink: EventSink): Promise<void> {
    let due = Date.now();
    while (!this.stopped) {
      // Exponential gaps between events give the bursty arrivals of the live stream.
      due += (-Math.log(1 - this.rng()) / this.options.rate) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await this.sleep(wait);
      if (this.stopped) break;
      const event: RawEvent = simulatedEvent(this.rng, Date.now());
      this.emitted++;
      await sink.push(event, null);
    }
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
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

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
