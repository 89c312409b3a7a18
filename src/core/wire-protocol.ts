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
  /** `keyed` when the socket asked for the keyed form (`/api/subscribe?format=keyed`). */
  format?: typeof FORMAT_KEYED;
}

/** A view's every row at one timestamp: what a snapshot and a reset both carry. */
export interface ViewContents {
  view: string;
  timestamp: Timestamp;
  columns: string[];
  rows: Row[];
  /** Keyed connections only: how the view's changes come (see `ViewForm`), its key, and its base. */
  form?: ViewForm;
  key?: string[];
  base?: Timestamp;
}

export interface SnapshotMessage extends ViewContents {
  type: 'snapshot';
}

/**
 * Like a snapshot: the client drops the view's rows and takes these (a resume the server cannot
 * serve, a client that fell behind).
 */
export interface ResetMessage extends ViewContents {
  type: 'reset';
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

/** A keyed view's change: rows to put in place of the rows with the same key, keys to remove. */
export interface KeyedDiff {
  upserted: Row[];
  removed: Row[];
}

export interface BatchMessage {
  type: 'batch';
  timestamp: Timestamp;
  views: Record<string, ViewDiff | KeyedDiff>;
  /** How many batches the server merged into this one because the client fell behind. */
  merged?: number;
  /** Keyed connections: a listed view's base when it is not `timestamp` (a catch-up). */
  bases?: Record<string, Timestamp>;
}

export interface ProgressMessage {
  type: 'progress';
  timestamp: Timestamp;
  /** Keyed connections, after a resume: the base of each resumed view. */
  bases?: Record<string, Timestamp>;
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

// --- The keyed form (opt-in: `?format=keyed` on /api/subscribe, SSE and /api/stream) ---

export const FORMAT_KEYED = 'keyed';

/**
 * How a view's changes travel on a keyed connection: `keyed` (a view with a unique key: rows to
 * upsert and keys to remove) or `positional` (a view without one: rows inserted and rows deleted).
 */
export type ViewForm = 'keyed' | 'positional';

/** One view's change in a keyed frame: `[upserted]` or `[upserted, removedKeys]` (positional: inserted, deleted). */
export type KeyedEntry = [Row[]] | [Row[], Row[]];

/**
 * A live batch on a keyed connection: `[dt, {view: entry}]`, at `max(base of the listed views) + dt`
 * (a view's base: the timestamp of its previous batch, the same for every client, so every socket
 * gets the same bytes); on a one-view SSE stream `[dt, upserted, removedKeys?]`.
 */
export type KeyedBatchFrame =
  [dt: number, views: Record<string, KeyedEntry>] | [dt: number, ...entry: KeyedEntry];

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

/**
 * A keyed `/api/stream` frame (`?format=keyed`). `[dt, upserted, removedKeys?]`: a live batch at
 * `base + dt` (base: the view's previous batch, which becomes the new base). `[timestamp, upserted,
 * removedKeys, base]`: a catch-up in full. A connection's first frame is `[timestamp, rows, [],
 * base, key]`, `key` the positions of the view's key columns, or null when it has none: then every
 * frame's lists are inserted and deleted rows (the positional form) instead.
 */
export type KeyedStreamFrame =
  | [dt: number, first: Row[]]
  | [dt: number, first: Row[], second: Row[]]
  | [timestamp: number, first: Row[], second: Row[], base: number]
  | [timestamp: number, first: Row[], second: Row[], base: number, key: number[] | null];

/** A keyed `/api/stream` frame read at `base` (null before the first): its parts and the next base. */
export function decodeKeyedStreamFrame(
  frame: KeyedStreamFrame,
  base: number | null,
): { timestamp: number; first: Row[]; second: Row[]; base: number; key?: number[] | null } {
  if (frame.length === 4 || frame.length === 5) {
    const [timestamp, first, second, next] = frame;
    return { timestamp, first, second, base: next, ...(frame.length === 5 ? { key: frame[4] } : {}) };
  }
  if (base === null) throw new Error('a keyed delta frame arrived before any full one');
  const [dt, first, second = []] = frame;
  return { timestamp: base + dt, first, second, base: base + dt };
}
