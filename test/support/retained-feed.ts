/**
 * Feeding an engine the 2,476-event recording as the ingest pipeline would (the records its views
 * read, and the events as they arrived for the retained log), in transactions at times of a manual
 * clock, so that two engines fed alike commit at the same timestamps.
 */
import { readFileSync } from 'node:fs';
import type { EmbeddedEngine } from '../../src/engine/embedded/engine.js';
import { recordMapper } from '../../src/ingest/records.js';
import { parseJson } from '../../src/core/exact-json.js';
import type { ManualClock } from './clock.js';
import { Recorder } from './engine.js';
import { recording, RECORDING_2476 } from './shared-data.js';

export type Event = Record<string, unknown>;

/** The input table of views/wikirecent.sql (every column a recorded event fills). */
export const TABLE = readFileSync(new URL('../../../views/wikirecent.sql', import.meta.url), 'utf8').split(
  'CREATE MATERIALIZED VIEW',
)[0] as string;

/** A view's contents at the engine's timestamp, as sorted [row, count] pairs. */
export async function contents(engine: EmbeddedEngine, view: string): Promise<Array<[unknown[], number]>> {
  const recorder = new Recorder(engine, view);
  await recorder.reach(engine.timestamp);
  return recorder.stateAt(engine.timestamp);
}

export function recordedEvents(): Event[] {
  return readFileSync(recording(RECORDING_2476), 'utf8')
    .trim()
    .split('\n')
    .map((line) => parseJson(line) as Event);
}

/** The recording's time of the first event, in ms. */
export function recordedStart(events: Event[]): number {
  return Number(events[0]?.['timestamp']) * 1000;
}

export interface FeedOptions {
  /** Events per transaction. */
  batch: number;
  /** Gives each event the clock's time, as --retime does (windowed views then see them as live). */
  retime?: boolean;
  /** Moves the clock to each batch's recorded time (the default), or leaves it alone. */
  follow?: boolean;
}

/** Ingests `events` in transactions of `batch` events, each at the clock's time. */
export async function feed(
  engine: EmbeddedEngine,
  clock: ManualClock,
  events: Event[],
  options: FeedOptions,
): Promise<number[]> {
  const map = recordMapper(engine.inputColumns);
  const timestamps: number[] = [];
  for (let from = 0; from < events.length; from += options.batch) {
    let batch = events.slice(from, from + options.batch);
    if (options.follow !== false) {
      const recorded = Number(batch.at(-1)?.['timestamp']) * 1000;
      if (recorded > clock.now()) clock.set(recorded);
    }
    if (options.retime) {
      const seconds = Math.floor(clock.now() / 1000);
      batch = batch.map((event) => ({ ...event, timestamp: seconds }));
    }
    timestamps.push(
      await engine.ingest(
        batch.map((e) => map(e)),
        { test: String(from + batch.length) },
        batch,
      ),
    );
  }
  return timestamps;
}
