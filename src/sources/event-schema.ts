/**
 * What a recentchange event looks like, as learned from the EventStreams schema and the recordings.
 *
 * Two strengths of check share one table. `complete` (the simulator's tests, and the recordings
 * themselves) also requires every field a real event of that `type` carries, except the ones the
 * real stream is known to leave out: `user` (redacted events), `id` (some log events), `patrolled`.
 * The lenient default checks only the types of the fields that are present, which is what
 * `POST /api/ingest` enforces: missing fields become NULL columns, a wrong type is refused.
 */
import { parseJson } from '../core/exact-json.js';
import { fieldDecoder, selectionOf, unionSelection, type SelectedKeys } from '../core/json-fields.js';
import type { RawEvent } from './types.js';

type Kind = 'string' | 'integer' | 'boolean' | 'object' | 'any';

const COMMON: Record<string, Kind> = {
  $schema: 'string',
  meta: 'object',
  id: 'integer',
  type: 'string',
  namespace: 'integer',
  title: 'string',
  title_url: 'string',
  comment: 'string',
  timestamp: 'integer',
  user: 'string',
  bot: 'boolean',
  server_url: 'string',
  server_name: 'string',
  server_script_path: 'string',
  wiki: 'string',
  parsedcomment: 'string',
  notify_url: 'string',
  minor: 'boolean',
  patrolled: 'boolean',
  length: 'object',
  revision: 'object',
  log_id: 'integer',
  log_type: 'string',
  log_action: 'string',
  log_params: 'any',
  log_action_comment: 'string',
};

const META: Record<string, Kind> = {
  uri: 'string',
  request_id: 'string',
  id: 'string',
  dt: 'string',
  domain: 'string',
  stream: 'string',
  topic: 'string',
  partition: 'integer',
  offset: 'integer',
};

const ALWAYS = [
  '$schema',
  'meta',
  'type',
  'namespace',
  'title',
  'title_url',
  'comment',
  'timestamp',
  'bot',
  'server_url',
  'server_name',
  'server_script_path',
  'wiki',
  'parsedcomment',
];

/** Fields a complete event of each type carries, beyond ALWAYS (and `user`, `id`, `patrolled`). */
const BY_TYPE: Record<string, { fields: string[]; length: string[]; forbidden: string[] }> = {
  edit: { fields: ['notify_url', 'minor', 'length', 'revision'], length: ['old', 'new'], forbidden: [] },
  new: { fields: ['notify_url', 'minor', 'length', 'revision'], length: ['new'], forbidden: [] },
  log: {
    fields: ['log_id', 'log_type', 'log_action', 'log_params', 'log_action_comment'],
    length: [],
    forbidden: ['length', 'revision'],
  },
  categorize: { fields: ['notify_url'], length: [], forbidden: ['length', 'revision'] },
};

export const EVENT_TYPES = ['edit', 'new', 'log', 'categorize', 'external'] as const;

function kindOf(value: unknown): Kind | 'null' | 'other' {
  if (value === null) return 'null';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'other';
  if (typeof value === 'bigint') return 'integer';
  if (typeof value === 'object' && !Array.isArray(value)) return 'object';
  return 'other';
}

function checkTypes(
  where: string,
  object: Record<string, unknown>,
  table: Record<string, Kind>,
  problems: string[],
): void {
  for (const [field, want] of Object.entries(table)) {
    const value = object[field];
    if (value === undefined || value === null || want === 'any') continue;
    if (kindOf(value) !== want)
      problems.push(
        `${where}${field} must be ${want === 'object' || want === 'integer' ? 'an' : 'a'} ${want}`,
      );
  }
}

/** The problems of one event, empty when it is fine; `complete` also requires the fields of its type. */
export function schemaProblems(event: RawEvent, options: { complete?: boolean } = {}): string[] {
  const problems: string[] = [];
  checkTypes('', event, COMMON, problems);
  const meta = event['meta'];
  if (kindOf(meta) === 'object') checkTypes('meta.', meta as Record<string, unknown>, META, problems);
  for (const nested of ['length', 'revision']) {
    const value = event[nested];
    if (kindOf(value) === 'object')
      checkTypes(
        `${nested}.`,
        value as Record<string, unknown>,
        { old: 'integer', new: 'integer' },
        problems,
      );
  }
  if (typeof event['type'] === 'string' && !(EVENT_TYPES as readonly string[]).includes(event['type']))
    problems.push(`type must be one of ${EVENT_TYPES.join(', ')}`);
  if (!options.complete) return problems;

  for (const field of ALWAYS) if (event[field] === undefined) problems.push(`${field} is missing`);
  if (kindOf(meta) === 'object') {
    for (const field of Object.keys(META))
      if ((meta as Record<string, unknown>)[field] === undefined) problems.push(`meta.${field} is missing`);
  }
  const rules = BY_TYPE[String(event['type'])];
  if (!rules) return problems;
  for (const field of rules.fields) if (event[field] === undefined) problems.push(`${field} is missing`);
  for (const field of rules.forbidden)
    if (event[field] !== undefined) problems.push(`${field} is not part of a ${String(event['type'])} event`);
  for (const nested of ['length', 'revision']) {
    const value = event[nested];
    if (kindOf(value) !== 'object' || rules.length.length === 0) continue;
    const keys = Object.keys(value as object).sort();
    if (keys.join() !== [...rules.length].sort().join())
      problems.push(`${nested} must hold ${rules.length.join(' and ')}, not ${keys.join(', ') || 'nothing'}`);
  }
  return problems;
}

function meta(event: RawEvent): Record<string, unknown> | null {
  const value = event['meta'];
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/** The stream's unique event id (`meta.id`), or null when the event has none. */
export function metaId(event: RawEvent): string | null {
  const id = meta(event)?.['id'];
  return typeof id === 'string' && id !== '' ? id : null;
}

/** Canary events (`meta.domain == "canary"`) are the stream's own health checks, not edits. */
export function isCanary(event: RawEvent): boolean {
  return meta(event)?.['domain'] === 'canary';
}

/** The event's time in milliseconds from `meta.dt` (ISO 8601), or null when absent or unparseable. */
export function eventTime(event: RawEvent): number | null {
  const dt = meta(event)?.['dt'];
  if (typeof dt !== 'string') return null;
  const time = Date.parse(dt);
  return Number.isNaN(time) ? null : time;
}

export type ParsedFrame =
  { event: RawEvent } | { reason: 'malformed-json' | 'not-an-object'; detail: string };

/** Parses the JSON text of one frame or line; bad input is a reason to skip, never an exception. */
export function parseEvent(text: string): ParsedFrame {
  return frameOf(text, parseJson); // integers beyond 2^53 stay exact, as BigInts
}

/** What every source that reads JSON text uses itself: dedupe, canaries, event time. */
export const SOURCE_FIELDS: SelectedKeys = selectionOf([
  ['meta', 'id'],
  ['meta', 'domain'],
  ['meta', 'dt'],
]);

/**
 * SOURCE_FIELDS that a source reads and drops (`isCanary`, `eventTime`): unless the sink reads them
 * too, their strings need not be copied out of the event's text. `meta.id` is held (deduplication).
 */
const SOURCE_TRANSIENT = ['domain', 'dt'];

/**
 * A parser of frames for a sink: with the sink's `reads`, one validating pass over the text that
 * decodes only those fields and SOURCE_FIELDS (core/json-fields.ts: same values, same accepted texts
 * and errors as parseEvent); without, parseEvent itself.
 */
export function eventParser(reads: SelectedKeys | undefined): (text: string) => ParsedFrame {
  if (reads === undefined) return parseEvent;
  const meta = reads.get('meta');
  const transient = SOURCE_TRANSIENT.filter((key) => meta === undefined || (meta !== true && !meta.has(key)));
  const decode = fieldDecoder(
    unionSelection(reads, SOURCE_FIELDS),
    selectionOf(transient.map((key) => ['meta', key])),
  );
  return (text) => frameOf(text, decode);
}

function frameOf(text: string, decode: (text: string) => unknown): ParsedFrame {
  let value: unknown;
  try {
    value = decode(text);
  } catch (error) {
    return { reason: 'malformed-json', detail: (error as Error).message };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return {
      reason: 'not-an-object',
      detail: `a JSON ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}`,
    };
  return { event: value as RawEvent };
}
