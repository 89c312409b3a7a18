/**
 * A built-in generator of realistic recentchange events, for when the live stream cannot be reached.
 * Its frequencies are counted from the recordings in shared data (see simulate-calibration.ts): about
 * half `categorize`, 40% `edit`, 7% `log`, 4% `new`; near half of the events by bots; a heavy tail
 * where a few accounts make most of the events; Commons, Wikisource and Wikidata busiest among ~40
 * wikis. Arrivals are Poisson at `rate`. Events have the real schema, so every view works on them.
 */
import { EventGenerator } from './simulate-events.js';
import { Mulberry32 } from './simulate-random.js';
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
  private readonly gaps: Mulberry32;
  /** The wait for the next event, and how to end `run` (set while it runs). */
  private timer: NodeJS.Timeout | null = null;
  private finish: (() => void) | null = null;

  constructor(private readonly options: SimulateOptions) {
    this.generator = new EventGenerator(options.seed);
    // The gaps come from their own stream so that the events do not depend on the rate.
    this.gaps = new Mulberry32(options.seed ^ 0x9e3779b9);
  }

  describe(): string {
    return `simulator of realistic Wikipedia edits at about ${this.options.rate} events/s (seed ${this.options.seed})`;
  }

  /**
   * One timer per event and nothing else: at tens of events a second an `await` of a sleep per
   * event (a promise, a closure, a timer cleared after it fired) was about 5% of the server's CPU.
   */
  run(sink: EventSink): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.finish = resolve;
      let due = Date.now();
      // Whether `due` is already the next event's time (its wait is over or under way).
      let drawn = false;
      const pump = (): void => {
        this.timer = null;
        while (!this.stopped) {
          if (!drawn) {
            // Exponential gaps between events give the bursty arrivals of the live stream.
            due += (-Math.log(1 - this.gaps.next()) / this.options.rate) * 1000;
            drawn = true;
            const wait = due - Date.now();
            if (wait > 0) {
              this.timer = setTimeout(pump, wait);
              return;
            }
          }
          drawn = false;
          this.emitted++;
          const backpressure = sink.push(this.generator.next(Date.now()), null);
          if (backpressure) {
            backpressure.then(pump, reject);
            return;
          }
        }
      };
      pump();
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.finish?.();
    this.finish = null;
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
