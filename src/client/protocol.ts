/**
 * The wire of docs/PROTOCOL.md version 1, as types and constants: every path, message type and code
 * the client sends or matches lives here, so a protocol change is a change to one file.
 */
import type { Row } from '../core/multiset.js';

export const PROTOCOL_VERSION = 1;

export const PATHS = {
  subscribe: '/api/subscribe',
  sse: '/api/sse',
  views: '/api/views',
  status: '/api/status',
} as const;

/** Engine timestamps: integers (ms since the epoch) that only grow, shared by all views of a server. */
export type Timestamp = number;

export interface HelloMessage {
  type: 'hello';
  protocol: number;
  views: string[];
  timestamp: Timestamp | null;
  /**
   * Issue 17: while idle the server sends progress about every `tick` ms; a client that hears
   * nothing for several ticks treats the connection as dead and reconnects. Absent: no such promise.
   */
  tick?: number;
}

export interface SnapshotMessage {
  type: 'snapshot';
  view: string;
  timestamp: Timestamp;
  columns: string[];
  rows: Row[];
}

export interface ResetMessage {
  type: 'reset';
  view: string;
  timestamp: Timestamp;
  columns: string[];
  rows: Row[];
  reason?: string;
}

export interface ViewDiff {
  inserted: Row[];
  deleted: Row[];
}

export interface BatchMessage {
  type: 'batch';
  timestamp: Timestamp;
  views: Record<string, ViewDiff>;
  /** How many batches the server merged into this one because the client fell behind. */
  merged?: number;
}

export interface ProgressMessage {
  type: 'progress';
  timestamp: Timestamp;
}

export type ServerErrorCode =
  | 'BAD_MESSAGE'
  | 'UNKNOWN_VIEW'
  | 'TOO_MANY_SUBSCRIPTIONS'
  | 'NOT_SUBSCRIBED'
  | (string & NonNullable<unknown>);

export interface ErrorMessage {
  type: 'error';
  code: ServerErrorCode;
  message: string;
  ref?: string;
  view?: string;
}

export type ServerMessage =
  HelloMessage | SnapshotMessage | ResetMessage | BatchMessage | ProgressMessage | ErrorMessage;

export interface SubscribeRequest {
  type: 'subscribe';
  views: string[];
  since?: Timestamp;
  ref?: string;
}

export interface UnsubscribeRequest {
  type: 'unsubscribe';
  views: string[];
  ref?: string;
}

export type ClientMessage = SubscribeRequest | UnsubscribeRequest;

/** SSE event names; their `data:` is the same JSON as the socket's frames. */
export const SSE_EVENTS = ['hello', 'snapshot', 'batch', 'reset', 'progress', 'error'] as const;

const TYPES = new Set<string>(SSE_EVENTS);

/**
 * Parses one frame. Throws on anything that is not a protocol message: a client must not guess
 * at state it cannot read (the caller reconnects and starts from a snapshot).
 */
export function parseServerMessage(text: string, sseEvent?: string): ServerMessage {
  const value: unknown = JSON.parse(text);
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
