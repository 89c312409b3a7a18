/**
 * Follows one view over `/api/stream/:view`. Every (re)connection starts with the complete state,
 * so the view is cleared and rebuilt from it: a page is whole however late it connects. Reconnects
 * with jittered exponential backoff.
 *
 * A view in error sends one `{"error": {...}}` message and closes (4409): the view drops its rows and
 * keeps the error (listeners of `onError` hear it); reconnects go on with growing backoff, and the
 * first one after the view recovered brings its whole state again.
 */
import {
  decodePositionalFrame,
  STREAM_FORMAT_PARAM,
  STREAM_FORMAT_POSITIONAL,
  type PositionalFrame,
  type StreamErrorMessage,
  type ViewErrorBody,
} from '../core/wire-protocol.js';
import { LiveView, type StreamMessage } from './live-view.js';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface StreamClientOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8875`; defaults to the page's origin. */
  url?: string;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Ask for the positional format (docs/PROTOCOL.md): about half the bytes of a one-row change. */
  positional?: boolean;
}

export interface ViewUpdate {
  view: string;
  message: StreamMessage;
  /** True for the first message of a connection: the complete state, applied to an empty view. */
  snapshot: boolean;
}

export class StreamClient {
  readonly view = new LiveView();
  state: StreamState = 'connecting';
  private socket: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private readonly listeners = new Set<(update: ViewUpdate) => void>();
  private readonly stateListeners = new Set<(state: StreamState) => void>();
  private readonly errorListeners = new Set<(error: ViewErrorBody) => void>();

  constructor(
    readonly name: string,
    private readonly options: StreamClientOptions = {},
  ) {
    this.connect();
  }

  onUpdate(listener: (update: ViewUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The view went into error (its rows are dropped until it recovers). */
  onError(listener: (error: ViewErrorBody) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  onState(listener: (state: StreamState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.close();
    this.setState('closed');
  }

  private connect(): void {
    const base = new URL(this.options.url ?? globalThis.location.href);
    base.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
    base.pathname = `/api/stream/${encodeURIComponent(this.name)}`;
    base.search = this.options.positional ? `?${STREAM_FORMAT_PARAM}=${STREAM_FORMAT_POSITIONAL}` : '';
    const socket = new WebSocket(base.href);
    this.socket = socket;
    let first = true;
    let positionalBase: number | null = null;
    socket.onmessage = (event) => {
      const parsed = JSON.parse(String(event.data)) as StreamMessage | StreamErrorMessage | PositionalFrame;
      if (!Array.isArray(parsed) && 'error' in parsed) {
        this.view.fail(parsed.error);
        for (const listener of this.errorListeners) listener(parsed.error);
        return;
      }
      let message: StreamMessage;
      if (Array.isArray(parsed)) {
        const decoded = decodePositionalFrame(parsed, positionalBase);
        message = decoded.message;
        positionalBase = decoded.base;
      } else message = parsed;
      if (first) this.view.reset();
      this.view.apply(message);
      const update = { view: this.name, message, snapshot: first };
      first = false;
      this.attempt = 0;
      this.setState('live');
      for (const listener of this.listeners) listener(update);
    };
    socket.onclose = () => {
      if (this.closed) return;
      this.setState('reconnecting');
      const max = this.options.maxBackoffMs ?? 10_000;
      const min = this.options.minBackoffMs ?? 250;
      const delay = Math.min(max, min * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  private setState(state: StreamState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }
}
