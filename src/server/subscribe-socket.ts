/**
 * `GET /api/subscribe` over WebSocket: the multiplexed protocol of docs/PROTOCOL.md. This file is
 * the transport and the request checks; what is sent when lives in ClientSession.
 */
import type { RawData, WebSocket } from 'ws';
import { unknownViewMessage } from '../core/errors.js';
import { FORMAT_KEYED } from '../core/wire-protocol.js';
import type { Hub } from '../hub/hub.js';
import { errorFrame, helloFrame } from '../hub/wire.js';
import { isRefusal, parseClientMessage, type Refusal } from './client-messages.js';
import type { Fanout } from './fanout.js';
import type { ServerOptions } from './server-options.js';
import type { ClientSession } from './client-session.js';
import { corked, writeText } from './ws-frames.js';
import { SocketQueries, type QueryRefusal } from './socket-queries.js';

/** Policy violation: the client sends requests but does not read the answers. */
const CLOSE_POLICY = 1008;

/**
 * `keyed`: the socket asked for the keyed form (`?format=keyed`), for all its views: live batches
 * as `[dt,{view: entry}]` arrays, snapshots and resets that name each view's form (docs/PROTOCOL.md).
 */
export function serveSubscribe(
  socket: WebSocket,
  hub: Hub,
  fanout: Fanout,
  options: ServerOptions,
  keyed = false,
): void {
  const closed = fanout.opened('subscribe');
  const session = fanout.createSession('subscribe', {
    ...(keyed ? { keyed: { single: false } } : {}),
    send: (_kind, frame) => writeText(socket, frame),
    corked: (write) => corked(socket, write),
    close: () => socket.terminate(),
    get buffered() {
      return socket.bufferedAmount;
    },
  });
  const queries = new SocketQueries(hub, session, options);
  const finish = (): void => {
    queries.close();
    fanout.remove(session);
    closed();
  };
  socket.on('close', finish);
  socket.on('error', finish);
  fanout.isolated(session, () =>
    session.sendRaw(
      'hello',
      Buffer.from(helloFrame(hub.viewNames, hub.timestamp, options.tickMs, keyed ? FORMAT_KEYED : undefined)),
    ),
  );
  socket.on('message', (data, isBinary) => fanout.isolated(session, () => onMessage(data, isBinary)));
  const onMessage = (data: RawData, isBinary: boolean): void => {
    const outcome = isBinary ? 'pass' : queries.handle(String(data));
    const refusal: Refusal | QueryRefusal | null =
      outcome !== 'pass'
        ? outcome
        : isBinary
          ? { code: 'BAD_MESSAGE' as const, message: 'messages must be JSON text frames, not binary' }
          : handle(String(data), hub, session, options);
    if (!refusal) return;
    fanout.refuse(refusal.code.toLowerCase());
    if (socket.bufferedAmount > options.clientBufferBytes) {
      socket.close(CLOSE_POLICY, 'the client does not read its messages');
      return;
    }
    const { code, message, ...extra } = refusal;
    session.sendRaw('error', Buffer.from(errorFrame(code, message, extra)));
  };
}

function handle(text: string, hub: Hub, session: ClientSession, options: ServerOptions): Refusal | null {
  const message = parseClientMessage(text);
  if (isRefusal(message)) return message;
  const ref = message.ref === undefined ? {} : { ref: message.ref };
  if (message.type === 'unsubscribe') {
    const missing = message.views.find((view) => !session.views.has(view));
    if (missing !== undefined) {
      return { code: 'NOT_SUBSCRIBED', message: `not subscribed to "${missing}"`, view: missing, ...ref };
    }
    session.unsubscribe(message.views);
    return null;
  }
  const unknown = message.views.find((view) => !hub.channel(view));
  if (unknown !== undefined) {
    return {
      code: 'UNKNOWN_VIEW',
      message: unknownViewMessage(unknown, hub.viewNames),
      view: unknown,
      ...ref,
    };
  }
  const total = new Set([...session.views.keys(), ...message.views]).size;
  if (total > options.maxSubscriptions) {
    return {
      code: 'TOO_MANY_SUBSCRIPTIONS',
      message: `a socket may follow at most ${options.maxSubscriptions} views (--max-subscriptions); this request would make it ${total}`,
      ...ref,
    };
  }
  session.subscribe(message.views, message.since);
  return null;
}
