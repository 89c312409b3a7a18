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
  decodeKeyedStreamFrame,
  decodePositionalFrame,
  FORMAT_KEYED,
  type KeyedStreamFrame,
  STREAM_FORMAT_PARAM,
  STREAM_FORMAT_POSITIONAL,
  type PositionalFrame,
  type StreamErrorMessage,
  type ViewErrorBody,
} from '../core/wire-protocol.js';
import { BACKOFF_DEFAULTS, backoffDelay } from '../core/backoff.js';
import { Listeners } from './listeners.js';
import { LiveView, toViewChange, type StreamMessage } from './live-view.js';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface StreamClientOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8875`; defaults to the page's origin. */
  url?: string;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Ask for the positional format (docs/PROTOCOL.md): about half the bytes of a one-row change. */
  positional?: boolean;
  /** Ask for the keyed form (docs/PROTOCOL.md): a changed row of a view with a key travels once. */
  keyed?: boolean;
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
  private readonly listeners = new Listeners<{
    update: ViewUpdate;
    state: StreamState;
    error: ViewErrorBody;
  }>();

  constructor(
    readonly name: string,
    private readonly options: StreamClientOptions = {},
  ) {
    this.connect();
  }

  onUpdate(listener: (update: ViewUpdate) => void): () => void {
    return this.listeners.on('update', listener);
  }

  /** The view went into error (its rows are dropped until it recovers). */
  onError(listener: (error: ViewErrorBody) => void): () => void {
    return this.listeners.on('error', listener);
  }

  onState(listener: (state: StreamState) => void): () => void {
    return this.listeners.on('state', listener);
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
    const format = this.options.keyed
      ? FORMAT_KEYED
      : this.options.positional
        ? STREAM_FORMAT_POSITIONAL
        : null;
    base.search = format ? `?${STREAM_FORMAT_PARAM}=${format}` : '';
    const socket = new WebSocket(base.href);
    this.socket = socket;
    let first = true;
    let positionalBase: number | null = null;
    let keyed = false;
    socket.onmessage = (event) => {
      const parsed = JSON.parse(String(event.data)) as StreamMessage | StreamErrorMessage | PositionalFrame;
      if (this.options.keyed && Array.isArray(parsed)) {
        const frame = decodeKeyedStreamFrame(parsed as KeyedStreamFrame, positionalBase);
        positionalBase = frame.base;
        if (frame.key !== undefined) {
          this.view.reset();
          this.view.keyBy(frame.key);
          keyed = frame.key !== null;
        }
        const [rows, others, timestamp] = [frame.first, frame.second, frame.timestamp];
        const diff = keyed ? { upserted: rows, removed: others } : { inserted: rows, deleted: others };
        const change = toViewChange(this.view.applyDiff(diff));
        this.view.timestamp = timestamp;
        this.deliver({ inserted: change.inserted, deleted: change.deleted, timestamp }, first);
        first = false;
        return;
      }
      if (!Array.isArray(parsed) && 'error' in parsed) {
        this.view.fail(parsed.error);
        this.listeners.emit('error', parsed.error);
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
      this.deliver(message, first);
      first = false;
    };
    socket.onclose = () => {
      if (this.closed) return;
      this.setState('reconnecting');
      const backoff = {
        initialMs: this.options.minBackoffMs ?? BACKOFF_DEFAULTS.initialMs,
        maxMs: this.options.maxBackoffMs ?? BACKOFF_DEFAULTS.maxMs,
      };
      this.timer = setTimeout(() => this.connect(), backoffDelay(this.attempt++, backoff));
    };
  }

  /** Tells the listeners about one applied message (`snapshot`: a connection's first). */
  private deliver(message: StreamMessage, snapshot: boolean): void {
    this.attempt = 0;
    this.setState('live');
    this.listeners.emit('update', { view: this.name, message, snapshot });
  }

  private setState(state: StreamState): void {
    if (this.state === state) return;
    this.state = state;
    this.listeners.emit('state', state);
  }
}
