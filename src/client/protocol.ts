/**
 * The client's side of the wire: the shared protocol (src/core/wire-protocol.ts) and the parsing of
 * server frames, which refuses anything that is not a protocol message.
 */
import { SSE_EVENTS, type ServerMessage } from '../core/wire-protocol.js';
import type { KeyedDecoder } from './keyed-decoder.js';

export * from '../core/wire-protocol.js';

const TYPES = new Set<string>(SSE_EVENTS);

/**
 * Parses one frame. Throws on anything that is not a protocol message: a client must not guess
 * at state it cannot read (the caller reconnects and starts from a snapshot). With a `decoder`
 * (a keyed connection), live batches come as arrays and the decoder reads them.
 */
export function parseServerMessage(text: string, sseEvent?: string, decoder?: KeyedDecoder): ServerMessage {
  const value: unknown = JSON.parse(text);
  if (decoder && Array.isArray(value)) return decoder.decodeArray(value);
  const message = checkedMessage(value, text, sseEvent);
  return decoder ? decoder.observe(message) : message;
}

function checkedMessage(value: unknown, text: string, sseEvent: string | undefined): ServerMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`not a protocol message: ${text.slice(0, 80)}`);
  }
  const message = value as Record<string, unknown>;
  // SSE names the type in `event:`; the payload may repeat it or not.
  if (message['type'] === undefined && sseEvent !== undefined) message['type'] = sseEvent;
  if (typeof message['type'] !== 'string' || !TYPES.has(message['type'])) {
    throw new TypeError(`unknown message type ${JSON.stringify(message['type'])}`);
  }
  if (
    message['type'] !== 'error' &&
    message['type'] !== 'hello' &&
    typeof message['timestamp'] !== 'number'
  ) {
    throw new TypeError(`a ${message['type']} message without a numeric timestamp`);
  }
  return message as unknown as ServerMessage;
}
