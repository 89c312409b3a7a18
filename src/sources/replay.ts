/**
 * Replays a recording: JSON lines (one event per line) or raw SSE text, detected from the content,
 * either of them optionally gzipped. Paced by the events' `meta.dt` scaled by `speed`, or as fast
 * as the engine takes them (`max`). With `loop` it starts over at the end, forever, giving every
 * event a fresh `meta.id` on each later pass so that the passes are new events, not duplicates.
 * The resume position is the number of events consumed, so a restart continues at the next one,
 * with the latest `meta.id`s, so a duplicate that straddles a restart is dropped as well.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { ViewcastError } from '../core/errors.js';
import { DEFAULT_DEDUPE_CAPACITY, EventGate } from './event-gate.js';
import { eventParser, eventTime, parseEvent } from './event-schema.js';
import { ReplayProgress, type ProgressTarget } from './replay-progress.js';
import { Sleeper } from './sleeper.js';
import { retimeEvent } from './retime.js';
import { countRecordingEntries, recordingEntries } from './recording-stream.js';
import { parseSseText } from './sse-text.js';
import { decodeDedupePosition, encodeDedupePosition, RECENT_IDS_KEPT } from './stream-position.js';
import type { EventSink, RawEvent, Source, SourceStatus } from './types.js';

export { eventTime };

export interface ReplayOptions {
  file: string;
  /** A factor on the recorded pace, or `max` for no pacing at all. */
  speed: number | 'max';
  /** Start over at the end, forever. */
  loop?: boolean;
  /** Where progress goes; none when absent. */
  progress?: ProgressTarget;
  /** `--retime`: each event takes the time it is replayed at (see retime.ts). */
  retime?: boolean;
  /** The wall clock `--retime` reads (tests inject one). */
  now?: () => number;
}

const gunzipAsync = promisify(gunzip);

export class ReplaySource implements Source {
  readonly kind = 'replay';
  readonly id: string;
  private readonly sleeper = new Sleeper();
  private emitted = 0;
  private consumed = 0;
  private total = 0;
  private passes = 0;
  private finished = false;
  private progress: ReplayProgress | null = null;

  constructor(private readonly options: ReplayOptions) {
    this.id = `replay:${basename(options.file)}`;
  }

  describe(): string {
    const pace =
      this.options.speed === 'max' ? 'as fast as possible' : `at ${this.options.speed}x the recorded pace`;
    const retimed = this.options.retime ? ', events retimed to now' : '';
    return `replay of ${this.options.file} ${pace}${this.options.loop ? ', looping forever' : ''}${retimed}`;
  }

  async run(sink: EventSink, resumeFrom: string | null): Promise<void> {
    // The recording streams (recording-stream.ts): a counting pass first, for progress and for
    // where a resumed position falls, then one read per pass.
    const total = await countRecordingEntries(this.options.file);
    this.total = total;
    const loop = this.options.loop === true && total > 0;
    const resumed = decodeDedupePosition(resumeFrom);
    let position = resumed.at === null ? 0 : Math.max(0, Math.floor(Number(resumed.at)) || 0);
    if (!loop) position = Math.min(position, total);
    if (this.options.progress)
      this.progress = new ReplayProgress(
        `replay ${basename(this.options.file)}`,
        this.total,
        loop,
        this.options.progress,
      );
    // A pass can only repeat ids of its own events (later passes get fresh ones), so the dedupe
    // window need not reach past one pass: 2,476 ids instead of 100,000 (about 10 MiB) for a loop.
    const gate = new EventGate(Math.max(1, Math.min(DEFAULT_DEDUPE_CAPACITY, total)));
    for (const id of resumed.recentIds) gate.seen.add(id);
    let clock: { wall: number; recorded: number } | null = null;
    let pass = -1;
    const startedAt = position;
    let entries: AsyncIterator<string> | null = null;
    // Events are decoded on demand (only the fields the sink reads), except those this source changes
    // (a later pass's fresh meta.id, --retime): those are parsed whole and handed over without text.
    const decode = eventParser(sink.reads);
    try {
      while (!this.sleeper.stopped && (loop || position < total)) {
        const index = position % total;
        if (Math.floor(position / total) !== pass) {
          pass = Math.floor(position / total);
          this.passes = pass + 1;
          clock = null; // each pass keeps the recorded pace from its own first event
          entries = recordingEntries(this.options.file);
          for (let skipped = 0; skipped < index; skipped++) await entries.next(); // resumed mid-pass
        }
        const next = await (entries as AsyncIterator<string>).next();
        if (next.done) {
          // The file shrank since it was counted: this pass ends here (and an empty one ends all).
          const empty = position % total === 0;
          position = (pass + 1) * total;
          if (!loop || empty) break;
          continue;
        }
        position++;
        this.consumed = position;
        this.progress?.update(position - startedAt);
        const retime = this.options.retime === true;
        const parsed = retime ? parseEvent(next.value) : decode(next.value);
        if ('reason' in parsed) {
          sink.skip(parsed.reason, `event ${index + 1} of ${this.options.file}: ${parsed.detail}`);
          continue;
        }
        let event = parsed.event;
        // The text as read, for the retained log, unless the event was changed (retimed).
        let text = retime ? undefined : next.value;
        if (pass > 0) {
          const renewed = text === undefined ? null : renewIdInText(event, text);
          if (renewed) text = renewed;
          else {
            if (!retime) event = (parseEvent(next.value) as { event: RawEvent }).event;
            freshId(event);
            text = undefined;
          }
        }
        const verdict = gate.admit(event);
        if (verdict !== 'pass') {
          sink.skip(verdict);
          continue;
        }
        const recorded = eventTime(event);
        if (this.options.speed !== 'max' && recorded !== null) {
          clock ??= { wall: Date.now(), recorded };
          const due = clock.wall + (recorded - clock.recorded) / this.options.speed;
          if (due > Date.now()) await this.sleeper.sleep(due - Date.now());
          if (this.sleeper.stopped) {
            position--; // not handed over: a restart replays it
            break;
          }
        }
        this.emitted++;
        if (this.options.retime) retimeEvent(event, (this.options.now ?? Date.now)());
        const at = encodeDedupePosition(String(position), gate.seen.latest(RECENT_IDS_KEPT));
        await sink.push(event, at, text);
      }
    } finally {
      await entries?.return?.(); // closes the file when the replay stops mid-pass
    }
    this.finished = !this.sleeper.stopped;
    if (this.finished) this.progress?.finish(position - startedAt);
    else this.progress?.close();
  }

  stop(): void {
    this.sleeper.stop();
  }

  status(): SourceStatus {
    return {
      kind: this.kind,
      emitted: this.emitted,
      finished: this.finished,
      file: this.options.file,
      total: this.total,
      consumed: this.consumed,
      percent:
        this.total > 0 && !this.options.loop ? Math.round((this.consumed / this.total) * 1000) / 10 : null,
      loop: this.options.loop === true,
      passes: this.passes,
    };
  }
}

/** A later pass's copy of an event gets a new `meta.id`: it is a new event, not a re-delivery. */
function freshId(event: RawEvent, id: string = randomUUID()): void {
  const meta = event['meta'];
  if (typeof meta === 'object' && meta !== null && !Array.isArray(meta))
    event['meta'] = { ...(meta as Record<string, unknown>), id };
}

/**
 * `freshId` on a decoded event (only the fields the views read) and the same id written into its
 * text, which is what the retained log keeps, or null when the text's `meta.id` cannot be found as
 * exactly one `"id": "<id>"` (the caller then parses the whole event, as for a retimed one). A
 * later pass so costs one string instead of every event parsed whole: those objects, kept until
 * their batch was committed, were most of what V8's old generation collected at full speed.
 */
function renewIdInText(event: RawEvent, text: string): string | null {
  const meta = event['meta'];
  const id = typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>)['id'] : null;
  if (typeof id !== 'string') return null;
  const quoted = JSON.stringify(id);
  const at = text.indexOf(quoted);
  if (
    at < 0 ||
    text.indexOf(quoted, at + 1) >= 0 ||
    !/"id"\s*:\s*$/.test(text.slice(Math.max(0, at - 16), at))
  )
    return null;
  const fresh = randomUUID();
  freshId(event, fresh);
  const renewed = `${text.slice(0, at)}"${fresh}"${text.slice(at + quoted.length)}`;
  // V8 joins the pieces into one string on the first read of a character, and lets go of the file's
  // chunk they were cut from: done now, while all are young, rather than by the retained log's
  // msgpack after the batch (and the chunks, every line of the file) had been promoted.
  renewed.charCodeAt(0);
  return renewed;
}

/** Reads a whole recording (gzipped or not) into the JSON text of each event. */
export async function readRecording(file: string): Promise<string[]> {
  let bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new ViewcastError(
      'VIEWCAST_SOURCE',
      `Cannot read the recording ${file}: ${error.code ?? error.message}.`,
    );
  });
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    bytes = await gunzipAsync(bytes).catch((error: Error) => {
      throw new ViewcastError(
        'VIEWCAST_SOURCE',
        `The recording ${file} looks gzipped but cannot be unpacked: ${error.message}.`,
      );
    });
  }
  return readEntries(bytes);
}

/** Splits a recording into one entry per event, detecting JSON lines or SSE text. */
export function readEntries(input: Uint8Array | string): string[] {
  const text =
    typeof input === 'string'
      ? input
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  // SSE text always has `data:` lines; anything else is JSON lines, so that a garbage first line
  // is counted and skipped instead of turning the whole file into SSE that yields nothing.
  const first = text.trimStart()[0];
  if (first === '{' || first === '[' || !/^data:/m.test(text)) {
    return text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
  }
  return parseSseText(input)
    .filter((message) => message.event === 'message')
    .map((message) => message.data);
}
