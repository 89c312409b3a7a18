/**
 * The seam between a client session (client-session.ts: what is sent when) and its transport (a
 * `/api/subscribe` socket or an SSE stream: how the bytes leave).
 */
import type { FrameKind } from '../core/wire-protocol.js';
import type { Timestamp } from '../engine/types.js';
import type { Positions } from './sse-position.js';

/** What a transport offers a session. */
export interface FrameSink {
  /** Queues one frame; `timestamp` is set on frames that carry one (SSE uses it as the event id). */
  send(kind: FrameKind, frame: Buffer, timestamp: Timestamp | null, positions: Positions): void;
  /** Runs `write` with the transport corked, so that several frames leave together. */
  corked?(write: () => void): void;
  /** Ends the connection after a send failed (the other clients go on). */
  close(): void;
  /** Bytes queued and not yet written to the network. */
  readonly buffered: number;
  /**
   * Set when the client asked for the keyed form (docs/PROTOCOL.md): `single` for a stream that
   * follows one view for good (a one-view SSE stream), whose live frames need not name it.
   */
  readonly keyed?: { single: boolean };
}
