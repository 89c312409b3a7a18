/**
 * A long-lived response written to the raw socket. An SSE stream lasts for hours; kept as a Node
 * response it holds an `IncomingMessage`, a `ServerResponse`, the HTTP parser and the server's
 * per-connection closures for its whole life (about 5 KB per client). Here the response head is
 * written by hand, and those objects are let go, as Node itself does when a socket is upgraded to a
 * WebSocket: the socket's HTTP listeners are removed and its parser is freed.
 *
 * The body keeps HTTP/1.1 chunked encoding, so the bytes on the wire are the same as before and the
 * connection stays a well-formed keep-alive response for proxies. Each chunk's framing is made once
 * per shared buffer: every client of a moment is still written the very same bytes.
 */
import { createRequire } from 'node:module';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

interface HttpParser {
  _consumed?: boolean;
}
type FreeParser = (parser: HttpParser, req: IncomingMessage | null, socket: Socket | null) => void;

/** Node's own parser release (`_http_common.freeParser`), the one its upgrade path uses. */
const freeParser: FreeParser | null = (() => {
  try {
    const common = createRequire(import.meta.url)('_http_common') as { freeParser?: unknown };
    return typeof common.freeParser === 'function' ? (common.freeParser as FreeParser) : null;
  } catch {
    return null;
  }
})();

/** The listeners node:http puts on a connection; all of them hold the request's state. */
const HTTP_SOCKET_EVENTS = ['data', 'end', 'close', 'drain', 'error', 'timeout'] as const;

const CRLF = '\r\n';
const framedChunks = new WeakMap<Buffer, Buffer>();

/** `body` as one HTTP/1.1 chunk (size line, bytes, CRLF), made once per buffer. */
export function httpChunk(body: Buffer): Buffer {
  let chunk = framedChunks.get(body);
  if (!chunk) {
    chunk = Buffer.concat([Buffer.from(`${body.length.toString(16)}${CRLF}`), body, Buffer.from(CRLF)]);
    framedChunks.set(body, chunk);
  }
  return chunk;
}

/** A text as one HTTP/1.1 chunk (not cached: for the few writes that are not shared). */
export function httpTextChunk(text: string): Buffer {
  return httpChunk(Buffer.from(text));
}

function ignore(): void {
  // Whatever the client sends on a response stream is read and dropped.
}

function endOnPeerEnd(this: Socket): void {
  this.destroy();
}

function headLines(headers: OutgoingHttpHeaders): string {
  let text = '';
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) text += `${name}: ${String(one)}${CRLF}`;
  }
  return text;
}

/**
 * Answers `req` with a 200 head carrying the response's headers set so far plus `headers`, in chunked
 * encoding, and hands back its socket with node:http's request, response and parser released.
 * Null when the socket cannot be taken over (not HTTP/1.1, already answered, or a Node without the
 * parser hook): the caller then streams through `res` as before.
 */
export function takeOverSocket(
  req: IncomingMessage,
  res: ServerResponse,
  headers: OutgoingHttpHeaders,
): Socket | null {
  const socket = req.socket as Socket & { parser?: HttpParser | null };
  if (
    freeParser === null ||
    !socket.parser ||
    res.headersSent ||
    req.httpVersion !== '1.1' ||
    socket.destroyed ||
    socket.listenerCount('data') > 1
  )
    return null;
  const head =
    `HTTP/1.1 200 OK${CRLF}` +
    headLines({ ...res.getHeaders(), ...headers }) +
    `Date: ${new Date().toUTCString()}${CRLF}` +
    `Transfer-Encoding: chunked${CRLF}${CRLF}`;
  res.detachSocket(socket);
  // node:http's own listeners, taken now and removed once its parser has returned: it is still
  // running (this is its request callback), and freeing it from inside would corrupt its list of
  // connections.
  const parser = socket.parser;
  const httpListeners = HTTP_SOCKET_EVENTS.map((event) => [event, socket.listeners(event)] as const);
  setImmediate(() => {
    for (const [event, listeners] of httpListeners)
      for (const listener of listeners)
        socket.removeListener(event, listener as (...args: unknown[]) => void);
    if (socket.parser === parser) freeParser(parser, req, socket);
    if (!socket.destroyed) {
      socket.on('error', ignore);
      socket.on('end', endOnPeerEnd);
      socket.on('data', ignore);
    }
  });
  socket.write(head);
  return socket;
}
