/** Limits and policies of the HTTP server, with their defaults (every one is a `viewcast serve` flag). */

export interface ServerOptions {
  /** Origins allowed to open WebSockets and SSE streams; empty: only the server's own origin. `*`: any. */
  allowOrigins: string[];
  /** When set, `/api/*` and `/metrics` require it (`Authorization: Bearer` or `?token=`). */
  authToken: string | null;
  /** Most open WebSocket and SSE connections. */
  maxConnections: number;
  /** Most views one `/api/subscribe` socket or SSE stream may follow. */
  maxSubscriptions: number;
  /** Largest client message on a WebSocket; larger ones close the socket with 1009. */
  maxMessageBytes: number;
  /** Unsent bytes a client may have queued before its batches are merged instead of sent. */
  clientBufferBytes: number;
  /** Least interval between `progress` frames to a client, in ms. */
  progressMs: number;
  /** WebSocket ping and SSE keep-alive interval, in ms; a socket that missed a pong is closed. */
  heartbeatMs: number;
  /**
   * Accept `{"type":"subscribe","query":"SELECT ..."}` on `/api/subscribe` (--allow-browser-queries):
   * ad-hoc queries chosen by whoever can open the socket, so off unless the operator turns them on.
   */
  allowBrowserQueries?: boolean;
  /** How often an idle client gets progress (the engine's tick, at least progressMs), for `hello`. */
  tickMs?: number;
}

export const SERVER_DEFAULTS: ServerOptions = {
  allowOrigins: [],
  authToken: null,
  maxConnections: 1000,
  maxSubscriptions: 64,
  maxMessageBytes: 16 * 1024,
  clientBufferBytes: 1024 * 1024,
  progressMs: 1000,
  heartbeatMs: 15_000,
};
