/**
 * The wire of docs/PROTOCOL.md version 1, as types and constants shared by the server and the
 * browser client: every path, frame type, close code and message shape lives here, so a protocol
 * change is a change to one file. Browser-safe (types and constants only).
 */
import type { Row } from './multiset.js';
import type { Timestamp, ViewErrorInfo } from '../engine/types.js';

export const PROTOCOL_VERSION = 1;

/** Every path the server answers (prefixes end with `/` and take a view name). */
export const PATHS = {
  subscribe: '/api/subscribe',
  sse: '/api/sse',
  ssePrefix: '/api/sse/',
  streamPrefix: '/api/stream/',
  views: '/api/views',
  viewPrefix: '/api/views/',
  status: '/api/status',
  ingest: '/api/ingest',
  api: '/api/',
  metrics: '/metrics',
  healthz: '/healthz',
  readyz: '/readyz',
} as const;

/** The `/api/stream/:view` close code for a view the server does not have (4000-4999: ours). */
export const CLOSE_UNKNOWN_VIEW = 4404;
/**
 * The `/api/stream/:view` close code for a view in error: the last message before it is a
 * `StreamErrorMessage`; a client reconnects (with backoff) and gets the view again once it recovers.
 */
export const CLOSE_VIEW_IN_ERROR = 4409;
/** WebSocket close code for a client that broke a limit (RFC 6455 "policy violation"). */
export const CLOSE_POLICY = 1008;

/** Engine timestamps: integers (ms since the epoch) that only grow, shared by all views of a server. */
export type { Timestamp };

export interface HelloMessage {
  type: 'hello';
  protocol: number;
  views: string[];
  timestamp: Timestamp | null;
  /**
   * While idle the server sends progress about every `tick` ms; a client that hears nothing for
   * several ticks treats the connection as dead and reconnects. Absent: no such promise.
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
  /** A `ResetReason` from this server; clients tolerate others. */
  reason?: string;
}

/** Why a view was reset; stable strings that clients may match on. */
export type ResetReason = 'since-not-retained' | 'since-ahead' | 'behind' | 'recovered';

/** The error code of a view in error (errors are data): its SQL fails on some input it reads. */
export const VIEW_ERROR_CODE = 'VIEWCAST_VIEW_ERROR';

/** Why a view is in error: SQLSTATE, Postgres's message and, where known, the failing value. */
export type { ViewErrorInfo };

/**
 * A view in error, as `GET /api/views/:view` answers it (the body of its 409) and as streams send
 * it: `message` names the view, the reason and the failing value; `errors` lists each reason.
 */
export interface ViewErrorBody {
  code: string;
  message: string;
  view: string;
  errors: ViewErrorInfo[];
}

/** The last message of an `/api/stream/:view` socket whose view is in error (then close 4409). */
export interface StreamErrorMessage {
  error: ViewErrorBody;
}

export interface ViewDiff {
  inserted: Row[];
  deleted: Row[];
}

/** A message of the seed-compatible `/api/stream/:view`: one view's diff at one timestamp. */
export interface StreamMessage extends ViewDiff {
  timestamp: Timestamp;
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
  /**
   * Present when `code` is `VIEWCAST_VIEW_ERROR`: the view is in error (not a refused request). It
   * stays subscribed; no batches come for it until it recovers, and then a `reset` with reason
   * `recovered` brings its whole state.
   */
  errors?: ViewErrorInfo[];
  /** With `errors`: the timestamp at which the view was found in error. */
  timestamp?: Timestamp;
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

/** Frame types, which are also the SSE event names; their `data:` is the same JSON as the socket's frames. */
export const SSE_EVENTS = ['hello', 'snapshot', 'batch', 'reset', 'progress', 'error'] as const;

export type FrameKind = (typeof SSE_EVENTS)[number];

// --- The positional /api/stream format (opt-in: `/api/stream/:view?format=positional`) ---

/** The query parameter and value that ask `/api/stream` for positional frames. */
export const STREAM_FORMAT_PARAM = 'format';
export const STREAM_FORMAT_POSITIONAL = 'positional';

/**
 * A positional `/api/stream` frame. `[dt, inserted, deleted]`: the timestamp is `base + dt`, and it
 * becomes the new base. `[timestamp, inserted, deleted, base]` (a connection's first frame, or a
 * catch-up): the timestamp in full, and the base the next delta counts from. Every socket of a view
 * is sent the same delta frames, so each is encoded once for all of them.
 */
export type PositionalFrame =
  | [dt: number, inserted: Row[], deleted: Row[]]
  | [timestamp: number, inserted: Row[], deleted: Row[], base: number];

/** Decodes a positional frame received at `base` (null before the first): the message and the next base. */
export function decodePositionalFrame(
  frame: PositionalFrame,
  base: number | null,
): { message: StreamMessage; base: number } {
  if (frame.length === 4) {
    const [timestamp, inserted, deleted, next] = frame;
    return { message: { inserted, deleted, timestamp }, base: next };
  }
  if (base === null) throw new Error('a positional delta frame arrived before any full one');
  const [dt, inserted, deleted] = frame;
  return { message: { inserted, deleted, timestamp: base + dt }, base: base + dt };
}
