/**
 * What a page can set on the browser client (`connect(options)`), with the defaults, and the events
 * it hears from it (`client.on(type, listener)`).
 */
import type { BackoffOptions } from '../core/backoff.js';
import type { ViewcastError } from '../core/errors.js';
import type { ConnectionStatus, TransportKind, TransportPreference } from './connection-machine.js';
import type { Timestamp } from './protocol.js';
import type { ChangeEvent } from './view-set.js';

export interface ClientOptions {
  /** The server, e.g. `http://127.0.0.1:8875`; defaults to the page's own origin. */
  url?: string;
  /** Views to follow from the start. */
  views?: string[];
  /** `auto` (default): WebSocket, falling back to SSE when WebSockets are blocked. */
  transport?: TransportPreference;
  /** Reconnect backoff (defaults: 250 ms doubling up to 10 s, with jitter). */
  backoff?: Partial<BackoffOptions>;
  /** An open connection silent for longer than this is `stale` (default 5000 ms). */
  staleAfterMs?: number;
  /** Longest time frames are held back to keep views at one moment (default 500 ms). */
  holdMs?: number;
  /**
   * `keyed` (default): ask for the keyed form, where a changed row of a view with a unique key
   * travels once (docs/PROTOCOL.md); `seed`: the object frames of protocol 1's first draft.
   */
  format?: 'keyed' | 'seed';
}

export const CLIENT_DEFAULTS = {
  transport: 'auto',
  staleAfterMs: 5000,
  holdMs: 500,
  format: 'keyed',
} as const;

export interface StatusEvent {
  status: ConnectionStatus;
  transport: TransportKind | null;
  /** The moment the views reflect. */
  timestamp: Timestamp | null;
}

export interface ClientEvents {
  change: ChangeEvent;
  status: StatusEvent;
  progress: Timestamp;
  error: ViewcastError;
}
