/**
 * The two ways to reach a server, behind one small interface: the multiplexed WebSocket
 * (`/api/subscribe`) and Server-Sent Events (`/api/sse?views=...`) for networks that block
 * WebSockets. SSE is read with `fetch` rather than `EventSource` so that reconnects follow the
 * client's own backoff and resume from the client's moment (sent as `Last-Event-ID`).
 */
import {
  parseServerMessage,
  PATHS,
  type ClientMessage,
  type ServerMessage,
  type Timestamp,
} from './protocol.js';
import { SseParser, type SseMessage } from '../core/sse-parser.js';
import { FORMAT_KEYED, STREAM_FORMAT_PARAM } from '../core/wire-protocol.js';
import type { KeyedDecoder } from './keyed-decoder.js';

export interface TransportHandlers {
  onOpen(): void;
  onMessage(message: ServerMessage): void;
  /** Called once, when the transport closed or failed for any reason but `close()`. */
  onClose(reason: string): void;
}

export interface Transport {
  /** Sends a client message; SSE cannot, and returns false (the caller reconnects instead). */
  send(message: ClientMessage): boolean;
  close(): void;
}

/**
 * A server started with --auth-token accepts `?token=`; a page opened as `/?token=...` (or a base
 * URL carrying one) passes it on to every endpoint, since browsers cannot set headers on WebSockets.
 */
export function endpoint(base: string, path: string, protocol?: 'ws'): URL {
  const url = new URL(path, base);
  const token = new URL(base).searchParams.get('token');
  if (token !== null) url.searchParams.set('token', token);
  if (protocol === 'ws') url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url;
}

/** Asks `url` for the keyed form when the client reads it (`decoder`). */
function withFormat(url: URL, decoder: KeyedDecoder | undefined): URL {
  if (decoder) url.searchParams.set(STREAM_FORMAT_PARAM, FORMAT_KEYED);
  return url;
}

/** `decoder`: ask for the keyed form and read it (the decoder outlives the connection). */
export function openWebSocket(base: string, handlers: TransportHandlers, decoder?: KeyedDecoder): Transport {
  const socket = new WebSocket(withFormat(endpoint(base, PATHS.subscribe, 'ws'), decoder));
  let done = false;
  const finish = (reason: string): void => {
    if (done) return;
    done = true;
    handlers.onClose(reason);
  };
  socket.onopen = () => handlers.onOpen();
  socket.onmessage = (event) => {
    if (done) return;
    let message: ServerMessage;
    try {
      message = parseServerMessage(String(event.data), undefined, decoder);
    } catch (error) {
      // Unreadable state is worse than none: start over from a snapshot.
      socket.close(1002, 'unreadable frame');
      finish(`unreadable frame: ${(error as Error).message}`);
      return;
    }
    handlers.onMessage(message);
  };
  socket.onclose = (event) => finish(`closed (${event.code}${event.reason ? ` ${event.reason}` : ''})`);
  return {
    send: (message) => {
      if (socket.readyState !== WebSocket.OPEN) return false;
      socket.send(JSON.stringify(message));
      return true;
    },
    close: () => {
      done = true;
      socket.onopen = socket.onmessage = socket.onclose = null;
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)
        socket.close(1000);
    },
  };
}

export function openSse(
  base: string,
  views: string[],
  since: Timestamp | undefined,
  handlers: TransportHandlers,
  decoder?: KeyedDecoder,
): Transport {
  const url = withFormat(endpoint(base, PATHS.sse), decoder);
  url.searchParams.set('views', views.join(','));
  // A one-view keyed stream's live frames do not name their view.
  decoder?.followOnly(views.length === 1 ? (views[0] ?? null) : null);
  const abort = new AbortController();
  let done = false;
  const finish = (reason: string): void => {
    if (done) return;
    done = true;
    abort.abort();
    handlers.onClose(reason);
  };
  const headers: Record<string, string> = { Accept: 'text/event-stream' };
  if (since !== undefined) headers['Last-Event-ID'] = String(since);
  void (async () => {
    const response = await fetch(url, { headers, signal: abort.signal, cache: 'no-store' });
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
    handlers.onOpen();
    const reader = response.body.getReader();
    const received: SseMessage[] = [];
    const parser = new SseParser((message) => received.push(message));
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      parser.feed(value);
      for (const event of received.splice(0)) {
        if (done) return;
        handlers.onMessage(parseServerMessage(event.data, event.event, decoder));
      }
    }
    finish('the server ended the stream');
  })().catch((error: unknown) => finish(error instanceof Error ? error.message : String(error)));
  return {
    send: () => false,
    close: () => {
      done = true;
      abort.abort();
    },
  };
}
