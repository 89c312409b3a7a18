/**
 * Server-Sent Events: `GET /api/sse/:view` and `GET /api/sse?views=a,b`. The same frames as the
 * multiplexed socket, as `event:` + `data:`; every frame with a timestamp carries it as `id:`, so a
 * browser's EventSource resumes by itself with `Last-Event-ID`. Read-only: what to follow is fixed
 * by the URL.
 */
import { PATHS } from '../core/wire-protocol.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Timestamp } from '../engine/types.js';
import type { Hub } from '../hub/hub.js';
import { parseSince } from './client-messages.js';
import type { Fanout } from './fanout.js';
import { refuseRequest } from './guards.js';
import type { FrameKind, FrameSink } from './client-session.js';
import type { Heartbeat, KeepAliveStream } from './heartbeat.js';
import { httpChunk, takeOverSocket } from './raw-response.js';
import type { ServerOptions } from './server-options.js';
import { sseChunk, sseComment } from './sse-framing.js';
import { decodeSseId, encodeSseId, type Positions } from './sse-position.js';

export interface SseContext {
  hub: Hub;
  fanout: Fanout;
  heartbeat: Heartbeat;
  options: ServerOptions;
}

/** The views named by the path (`/api/sse/top10`) or the query (`/api/sse?views=a,b`). */
function requestedViews(pathname: string, url: URL): string[] | null {
  if (pathname === PATHS.sse) {
    const list = url.searchParams.get('views') ?? url.searchParams.get('view');
    if (!list) return null;
    return [...new Set(list.split(',').map((v) => v.trim()))].filter((v) => v.length > 0);
  }
  const name = pathname.slice(PATHS.ssePrefix.length);
  if (!name || name.includes('/')) return null;
  try {
    return [decodeURIComponent(name)];
  } catch {
    return null;
  }
}

export function serveSse(
  context: SseContext,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  url: URL,
): void {
  const { hub, fanout, options } = context;
  const views = requestedViews(pathname, url);
  if (!views || views.length === 0) {
    refuseRequest(res, {
      status: 400,
      code: 'BAD_REQUEST',
      message: 'name the views: /api/sse/<view> or /api/sse?views=<view>,<view>',
    });
    return;
  }
  const unknown = views.find((v) => !hub.channel(v));
  if (unknown !== undefined) {
    fanout.refuse('unknown_view');
    refuseRequest(res, {
      status: 404,
      code: 'UNKNOWN_VIEW',
      message: `unknown view "${unknown}"; known views: ${hub.viewNames.join(', ')}`,
    });
    return;
  }
  if (views.length > options.maxSubscriptions) {
    fanout.refuse('too_many_subscriptions');
    refuseRequest(res, {
      status: 400,
      code: 'TOO_MANY_SUBSCRIPTIONS',
      message: `a stream may follow at most ${options.maxSubscriptions} views (--max-subscriptions)`,
    });
    return;
  }
  // EventSource sends Last-Event-ID by itself on reconnects (one position per view, see
  // sse-position.ts); `?since=` serves a first connection. An id we never sent starts over.
  const header = req.headers['last-event-id'];
  let since: Timestamp | null | Positions = decodeSseId(
    typeof header === 'string' ? header : undefined,
    views,
  );
  if (since === null && url.searchParams.has('since')) {
    const asked = parseSince(url.searchParams.get('since'));
    if (asked === undefined) {
      refuseRequest(res, {
        status: 400,
        code: 'BAD_REQUEST',
        message: '"since" must be a timestamp (a whole number of milliseconds)',
      });
      return;
    }
    since = asked;
  }
  if (!fanout.admit()) {
    refuseRequest(res, {
      status: 503,
      code: 'TOO_MANY_CONNECTIONS',
      message: `the server is at its limit of ${options.maxConnections} connections (--max-connections)`,
    });
    return;
  }
  const stream = SseStream.open(req, res);
  stream.write(Buffer.from(sseComment(`viewcast protocol 1, views ${views.join(',')}`)));
  const closed = fanout.opened('sse');
  const session = fanout.createSession('sse', new SseSink(stream, views));
  context.heartbeat.watchStream(stream);
  stream.onClose(() => {
    context.heartbeat.unwatchStream(stream);
    fanout.remove(session);
    closed();
  });
  session.subscribe(views, since);
}

const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-store',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
};
const KEEP_ALIVE = Buffer.from(': keep-alive\n\n');

/**
 * Where an SSE stream's bytes go: its raw socket once node:http's request and response are let go
 * (raw-response.ts), or the response itself on the rare connection that cannot be taken over.
 */
class SseStream implements KeepAliveStream {
  private constructor(
    private readonly target: Socket | ServerResponse,
    private readonly raw: boolean,
  ) {}

  static open(req: IncomingMessage, res: ServerResponse): SseStream {
    const socket = takeOverSocket(req, res, SSE_HEADERS);
    if (socket) return new SseStream(socket, true);
    res.writeHead(200, SSE_HEADERS);
    return new SseStream(res, false);
  }

  /** Writes one whole event (or comment); `bytes` may be shared by every client of a moment. */
  write(bytes: Buffer): void {
    if (this.target.destroyed || this.target.writableEnded) return;
    this.target.write(this.raw ? httpChunk(bytes) : bytes);
  }

  keepAlive(): void {
    this.write(KEEP_ALIVE);
  }

  cork(): void {
    this.target.cork();
  }

  uncork(): void {
    this.target.uncork();
  }

  get buffered(): number {
    return this.target.writableLength;
  }

  destroy(): void {
    this.target.destroy();
  }

  onClose(listener: () => void): void {
    this.target.once('close', listener);
  }
}

/** A session's frames as SSE events, each with the id that resumes every view exactly. */
class SseSink implements FrameSink {
  constructor(
    private readonly stream: SseStream,
    private readonly views: readonly string[],
  ) {}

  send(kind: FrameKind, frame: Buffer, timestamp: Timestamp | null, positions: Positions): void {
    this.stream.write(sseChunk(kind, timestamp === null ? null : encodeSseId(this.views, positions), frame));
  }

  corked(write: () => void): void {
    this.stream.cork();
    try {
      write();
    } finally {
      this.stream.uncork();
    }
  }

  close(): void {
    this.stream.destroy();
  }

  get buffered(): number {
    return this.stream.buffered;
  }
}
