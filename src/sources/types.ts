/** The source seam: anything that produces Wikimedia recentchange events. */
import type { SelectedKeys } from '../core/json-fields.js';

/**
 * A parsed event: the JSON object of one recentchange, or, from a source that read JSON text and
 * decoded on demand, the fields the sink reads (`EventSink.reads`) and those sources need
 * (`SOURCE_FIELDS` in event-schema.ts), with the same values a full parse gives.
 */
export type RawEvent = Record<string, unknown>;

export interface EventSink {
  /**
   * Hands one event over. `position` is where the source would resume after this event; it is
   * committed in the same transaction as the event. `text`: the event's JSON text when the source
   * read one and `event` holds only some of its fields; what needs every field (the retained log)
   * keeps the text. Returns a promise when the ingest queue is full: a source that can wait
   * (replay) awaits it, a live one may keep pushing.
   */
  push(event: RawEvent, position: string | null, text?: string): void | Promise<void>;
  /**
   * The fields of an event this sink reads, when it reads only some: a source that reads JSON text
   * then decodes just those (see core/json-fields.ts). Absent: every field.
   */
  readonly reads?: SelectedKeys;
  /** Counts an input that could not be used, by reason (e.g. `malformed-json`). Never fatal. */
  skip(reason: string, detail?: string): void;
}

export interface SourceStatus {
  kind: string;
  /** Events handed to the sink. */
  emitted: number;
  /** True once a finite source has handed over its last event. */
  finished: boolean;
  [detail: string]: unknown;
}

export interface Source {
  /** The key its resume position is stored under, e.g. `replay:<file>`. */
  readonly id: string;
  readonly kind: string;
  /** A short human description for the log, e.g. `replay of x.jsonl at 10x`. */
  describe(): string;
  /** Runs until the source is exhausted (finite sources) or `stop` is called. */
  run(sink: EventSink, resumeFrom: string | null): Promise<void>;
  stop(): void;
  status(): SourceStatus;
}

/** Where sources write their log lines (the command's logger fits). */
export interface SourceLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
