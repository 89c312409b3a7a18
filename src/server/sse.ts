/**
 * Server-Sent Events: `GET /api/sse/:view` and `GET /api/sse?views=a,b`. The same frames as the
 * multiplexed socket, as `event:` + `data:`; every frame with a timestamp carries it as `id:`, so a
 * browser's EventSource resumes by itself with `Last-Event-ID`. Read-only: what to follow is fixed
 * by the URL.
 */
import { unknownViewMessage } from '../core/errors.js';
import { FORMAT_KEYED, PATHS, STREAM_FORMAT_PARAM, type FrameKind } from '../core/wire-protocol.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Timestamp } from '../engine/types.js';
import type { Hub } from '../hub/hub.js';
import { parseSince } from './client-messages.js';
import type { Fanout } from './fanout.js';
import { refuseRequest } from './guards.js';
import type { FrameSink } from './frame-sink.js';
import type { Heartbeat, KeepAliveStream } from './heartbeat.js';
import { httpChunk, takeOverSocket } from './raw-response.js';
import type { ServerOptions } from './server-options.js';
import { sseChunk, sseComment, sseDataChunk } from './sse-framing.js';
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
      message: unknownViewMessage(unknown, hub.viewNames),
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
  const keyed = url.searchParams.get(STREAM_FORMAT_PARAM) === FORMAT_KEYED;
  // A keyed stream whose every view has a key needs no id on live frames: replaying keyed batches
  // a client already applied changes nothing (see SseSink).
  const allKeyed = keyed && views.every((view) => hub.channel(view)?.key);
  const session = fanout.createSession('sse', new SseSink(stream, views, keyed, allKeyed));
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

/**
 * A session's frames as SSE events, each with the id that resumes every view exactly.
 *
 * Keyed streams (`?format=keyed`): a live batch (an array) is a nameless `data:` event, so it
 * reaches `onmessage`. When every view of the stream is keyed it carries no `id:` either (18 bytes
 * of a 40-byte update), except the first one after each 10-second boundary of the engine's clock,
 * the same for every client: a resume from an older id replays batches the client has already
 * applied, which a keyed view takes as they are (an upsert of the row it holds changes nothing)
 * and the client skips anyway (it is past their timestamps).
 */
class SseSink implements FrameSink {
  readonly keyed?: { single: boolean };

  constructor(
    private readonly stream: SseStream,
    private readonly views: readonly string[],
    keyed: boolean,
    private readonly quiet: boolean,
  ) {
    if (keyed) this.keyed = { single: views.length === 1 };
  }

  send(kind: FrameKind, frame: Buffer, timestamp: Timestamp | null, positions: Positions): void {
    if (this.keyed && kind === 'batch' && frame[0] === OPEN_BRACKET && timestamp !== null) {
      const id =
        this.quiet && !crossesIdBoundary(frame, timestamp) ? null : encodeSseId(this.views, positions);
      this.stream.write(sseDataChunk(id, frame));
      return;
    }
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

const OPEN_BRACKET = 0x5b;
/** How often, in engine time, a quiet keyed stream's live frames carry an id. */
const ID_EVERY_MS = 10_000;

/** Whether a live keyed frame `[dt,...]` at `timestamp` is the first past a 10-second boundary. */
function crossesIdBoundary(frame: Buffer, timestamp: Timestamp): boolean {
  let dt = 0;
  for (let i = 1; i < frame.length; i++) {
    const digit = (frame[i] as number) - 0x30;
    if (digit < 0 || digit > 9) break;
    dt = dt * 10 + digit;
  }
  return Math.floor(timestamp / ID_EVERY_MS) !== Math.floor((timestamp - dt) / ID_EVERY_MS);
}
