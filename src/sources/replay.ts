/**
 * Replays a recording: JSON lines (one event per line) or raw SSE text, detected from the content.
 * Paced by the events' `meta.dt` scaled by `speed`, or as fast as the engine takes them (`max`).
 * The resume position is the number of events consumed, so a restart continues at the next one.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { ViewcastError } from '../errors.js';
import { parseSseText } from './sse-text.js';
import type { EventSink, RawEvent, Source, SourceStatus } from './types.js';

export interface ReplayOptions {
  file: string;
  /** A factor on the recorded pace, or `max` for no pacing at all. */
  speed: number | 'max';
}

type Entry = { json: string } | { error: string };

export class ReplaySource implements Source {
  readonly kind = 'replay';
  readonly id: string;
  private stopped = false;
  private emitted = 0;
  private total = 0;
  private finished = false;
  private wake: (() => void) | null = null;

  constructor(private readonly options: ReplayOptions) {
    this.id = `replay:${basename(options.file)}`;
  }

  describe(): string {
    const pace =
      this.options.speed === 'max' ? 'as fast as possible' : `at ${this.options.speed}x the recorded pace`;
    return `replay of ${this.options.file} ${pace}`;
  }

  async run(sink: EventSink, resumeFrom: string | null): Promise<void> {
    const text = await readFile(this.options.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new ViewcastError(
        'VIEWCAST_SOURCE',
        `Cannot read the recording ${this.options.file}: ${error.code ?? error.message}.`,
      );
    });
    const entries = [...readEntries(text)];
    this.total = entries.length;
    const start = resumeFrom === null ? 0 : Math.min(Number(resumeFrom) || 0, entries.length);
    let clock: { wall: number; recorded: number } | null = null;
    for (let index = start; index < entries.length && !this.stopped; index++) {
      const entry = entries[index] as Entry;
      const position = String(index + 1);
      if ('error' in entry) {
        sink.skip(entry.error);
        continue;
      }
      let event: unknown;
      try {
        event = JSON.parse(entry.json);
      } catch {
        sink.skip('malformed-json', `event ${index + 1} of ${this.options.file}`);
        continue;
      }
      if (typeof event !== 'object' || event === null || Array.isArray(event)) {
        sink.skip('not-an-object', `event ${index + 1} of ${this.options.file}`);
        continue;
      }
      const recorded = eventTime(event as RawEvent);
      if (this.options.speed !== 'max' && recorded !== null) {
        clock ??= { wall: Date.now(), recorded };
        const due = clock.wall + (recorded - clock.recorded) / this.options.speed;
        if (due > Date.now()) await this.sleep(due - Date.now());
        if (this.stopped) break;
      }
      this.emitted++;
      await sink.push(event as RawEvent, position);
    }
    this.finished = !this.stopped;
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  status(): SourceStatus {
    return {
      kind: this.kind,
      emitted: this.emitted,
      finished: this.finished,
      file: this.options.file,
      total: this.total,
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

/** Splits a recording into one entry per event, detecting JSON lines or SSE text. */
export function* readEntries(text: string): Generator<Entry> {
  const first = text.trimStart()[0];
  if (first === '{' || first === undefined) {
    for (const line of text.split('\n')) {
      const trimmed = line.trim();
      if (trimmed) yield { json: trimmed };
    }
    return;
  }
  for (const message of parseSseText(text)) {
    if (message.event === 'message') yield { json: message.data };
  }
}

/** The event's time in milliseconds from `meta.dt` (ISO 8601), or null when absent or unparseable. */
export function eventTime(event: RawEvent): number | null {
  const meta = event['meta'];
  const dt = typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>)['dt'] : undefined;
  if (typeof dt !== 'string') return null;
  const time = Date.parse(dt);
  return Number.isNaN(time) ? null : time;
}
