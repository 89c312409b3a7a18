/**
 * Replay progress for a person watching: on a terminal one line rewritten in place (events, rate,
 * percent, ETA); otherwise ordinary log lines, first every 2 s and then further apart (up to one a
 * minute), so a long replay does not flood a log file.
 */
import { countText } from '../core/count-text.js';
import type { SourceLog } from './types.js';

export interface ProgressTarget {
  /** A terminal to redraw one line on, or null to write log lines. */
  terminal: { write(text: string): boolean; columns?: number } | null;
  log: SourceLog;
}

const TERMINAL_EVERY_MS = 250;
const FIRST_LOG_EVERY_MS = 2000;
const MOST_LOG_EVERY_MS = 60_000;

export class ReplayProgress {
  readonly started = Date.now();
  private lastDraw = 0;
  private logEvery = FIRST_LOG_EVERY_MS;
  private drewOnTerminal = false;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly loop: boolean,
    private readonly target: ProgressTarget,
  ) {
    // A terminal shows progress from the first event; a log gets its first line after a while.
    this.lastDraw = target.terminal ? 0 : this.started;
  }

  /** `done` counts events consumed in this run (every pass, when looping). */
  update(done: number): void {
    const now = Date.now();
    const every = this.target.terminal ? TERMINAL_EVERY_MS : this.logEvery;
    if (now - this.lastDraw < every) return;
    this.lastDraw = now;
    if (this.target.terminal) this.draw(this.line(done, now));
    else {
      this.target.log.info(this.line(done, now));
      this.logEvery = Math.min(MOST_LOG_EVERY_MS, this.logEvery * 2);
    }
  }

  finish(done: number): void {
    const seconds = (Date.now() - this.started) / 1000;
    const line = `${this.label}: ${countText(done)} events in ${seconds.toFixed(1)} s, all read`;
    if (this.target.terminal && this.drewOnTerminal) this.target.terminal.write(`\r\x1b[K`);
    this.target.log.info(line);
  }

  /** Clears the terminal line (before the process logs something else, e.g. on stop). */
  close(): void {
    if (this.target.terminal && this.drewOnTerminal) this.target.terminal.write('\n');
    this.drewOnTerminal = false;
  }

  line(done: number, now: number = Date.now()): string {
    const elapsed = Math.max(0.001, (now - this.started) / 1000);
    const rate = done / elapsed;
    const parts = [`${this.label}: ${countText(done)} events`];
    if (this.loop) {
      parts.push(`pass ${Math.floor(done / Math.max(1, this.total)) + 1}`);
    } else if (this.total > 0) {
      const percent = Math.min(100, (done / this.total) * 100);
      parts[0] += ` of ${countText(this.total)} (${percent.toFixed(1)}%)`;
    }
    // Under a second in, the rate says more about start-up than about the replay.
    if (elapsed < 1) return parts.join(', ');
    parts.push(`${countText(rate)} events/s`);
    if (!this.loop && rate > 0 && done < this.total)
      parts.push(`ETA ${formatEta((this.total - done) / rate)}`);
    return parts.join(', ');
  }

  private draw(text: string): void {
    const width = this.target.terminal?.columns || 120;
    this.target.terminal?.write(`\r\x1b[K${text.slice(0, Math.max(20, width - 1))}`);
    this.drewOnTerminal = true;
  }
}

export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'unknown';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
