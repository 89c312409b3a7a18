/**
 * Calls a function at a fixed rate for a while. Timers fire late and at most about once a
 * millisecond, so every wake-up catches up with everything that fell due since; the callback gets
 * the time each call was due, which is what a latency should be measured from.
 */
import { nowMs } from '../support/stats.js';

export class Pacer {
  constructor(
    private readonly rate: number,
    private readonly durationMs: number,
  ) {}

  run(tick: (due: number) => void): Promise<number> {
    const interval = 1000 / this.rate;
    const start = nowMs();
    const total = Math.round((this.durationMs / 1000) * this.rate);
    let done = 0;
    return new Promise((resolve) => {
      const wake = (): void => {
        const now = nowMs();
        while (done < total && start + done * interval <= now) {
          tick(start + done * interval);
          done++;
        }
        if (done >= total) {
          resolve(done);
          return;
        }
        setTimeout(wake, Math.max(0, start + done * interval - nowMs()));
      };
      wake();
    });
  }
}
