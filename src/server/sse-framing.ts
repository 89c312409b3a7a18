/**
 * Server-Sent Events framing, all in one place. A field value may not contain a line break (it would
 * end the field), so `data` is split into one `data:` line per line, and `event` / `id` refuse
 * line breaks outright.
 */
import { ViewcastError } from '../core/errors.js';

export interface OutgoingSseEvent {
  event?: string;
  id?: string;
  data: string;
}

const LINE_BREAK = /\r\n|\r|\n/;

function field(name: string, value: string): string {
  if (LINE_BREAK.test(value)) {
    throw new ViewcastError('VIEWCAST_SSE_FIELD', `an SSE ${name} cannot contain a line break`);
  }
  return `${name}: ${value}\n`;
}

export function sseFrame({ event, id, data }: OutgoingSseEvent): string {
  let frame = '';
  if (event !== undefined) frame += field('event', event);
  if (id !== undefined) frame += field('id', id);
  for (const line of data.split(LINE_BREAK)) frame += `data: ${line}\n`;
  return `${frame}\n`;
}

/**
 * The head of an event whose data is one JSON text: JSON.stringify escapes every line break inside
 * strings, so serialized JSON is always one line and can follow `data: ` without splitting.
 */
export function sseJsonHead(event: string, id: string | null): string {
  return field('event', event) + (id === null ? '' : field('id', id)) + 'data: ';
}

export function sseComment(text: string): string {
  return `: ${text.replace(/\r\n|\r|\n/g, ' ')}\n\n`;
}

const EVENT_END = Buffer.from('\n\n');
const chunks = new WeakMap<Buffer, { event: string; id: string | null; chunk: Buffer }>();

/**
 * One whole event whose data is the JSON `frame`, encoded once per frame and id: every client at
 * the same moment is written the very same buffer.
 */
export function sseChunk(event: string, id: string | null, frame: Buffer): Buffer {
  const cached = chunks.get(frame);
  if (cached?.id === id && cached.event === event) return cached.chunk;
  const chunk = Buffer.concat([Buffer.from(sseJsonHead(event, id)), frame, EVENT_END]);
  chunks.set(frame, { event, id, chunk });
  return chunk;
}

const DATA = Buffer.from('data: ');
const dataChunks = new WeakMap<Buffer, { id: string | null; chunk: Buffer }>();

/**
 * A nameless event (`data:` only, and `id:` when given) whose data is `frame`: a keyed live batch,
 * which reaches EventSource's `onmessage`. Encoded once per frame and id, like `sseChunk`.
 */
export function sseDataChunk(id: string | null, frame: Buffer): Buffer {
  const cached = dataChunks.get(frame);
  if (cached?.id === id) return cached.chunk;
  const head = id === null ? DATA : Buffer.from(`${field('id', id)}data: `);
  const chunk = Buffer.concat([head, frame, EVENT_END]);
  dataChunks.set(frame, { id, chunk });
  return chunk;
}
