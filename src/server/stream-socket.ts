/**
 * `GET /api/stream/:view` over WebSocket: the original demo's contract. The first message is the
 * whole current state (`deleted` empty), then one message per batch; empty batches are not sent.
 * The snapshot and the listener are set up in the same tick, so no batch falls between them.
 *
 * A client that stops reading must not grow the server's memory: once its unsent bytes pass the
 * limit it is sent nothing more; when it has drained below half the limit it gets one message with
 * the net change since the last one it was sent, merged from the view's retention log. This
 * protocol has no way to say "start over", so when the log no longer reaches back the socket is
 * closed (1008) and the client reconnects for the whole state.
 */
import type { WebSocket } from 'ws';
import { consolidate } from '../core/multiset.js';
import type { Timestamp } from '../engine/types.js';
import type { Hub } from '../hub/hub.js';
import { toStreamMessage } from '../hub/wire.js';

/** Close codes in the 4000-4999 range that applications may use. */
export const CLOSE_UNKNOWN_VIEW = 4404;
const CLOSE_POLICY = 1008;
/** How often a client that fell behind is checked for having drained. */
const DRAIN_CHECK_MS = 100;

export function serveStream(
  socket: WebSocket,
  hub: Hub,
  view: string,
  sent: (bytes: number) => void = () => undefined,
  bufferLimit = 1024 * 1024,
): void {
  const channel = hub.channel(view);
  if (!channel) {
    socket.close(CLOSE_UNKNOWN_VIEW, `unknown view "${view}"`.slice(0, 120));
    return;
  }
  /** The timestamp of the last message sent: the client's state once it reads everything. */
  let sentAt: Timestamp = channel.timestamp ?? 0;
  let drainCheck: NodeJS.Timeout | null = null;
  const send = (frame: string, timestamp: Timestamp): void => {
    socket.send(frame);
    sentAt = timestamp;
    sent(Buffer.byteLength(frame));
  };
  const catchUp = (): void => {
    if (socket.readyState !== socket.OPEN || socket.bufferedAmount > bufferLimit / 2) return;
    if (drainCheck) clearInterval(drainCheck);
    drainCheck = null;
    const now = channel.timestamp ?? 0;
    if (now === sentAt) return;
    const batches = channel.retained?.since(sentAt);
    if (!batches) {
      socket.close(CLOSE_POLICY, 'fell behind further than the server keeps; reconnect for the whole state');
      return;
    }
    const changes = consolidate(batches.flatMap((b) => b.changes));
    if (changes.length === 0) sentAt = now;
    else send(JSON.stringify(toStreamMessage(changes, now)), now);
  };
  send(channel.snapshotFrame(), channel.timestamp ?? 0);
  const stop = channel.listen((batch) => {
    if (socket.readyState !== socket.OPEN) return;
    if (drainCheck) return; // behind: the catch-up sends the net change later
    if (socket.bufferedAmount > bufferLimit) {
      drainCheck = setInterval(catchUp, DRAIN_CHECK_MS);
      return;
    }
    send(batch.streamFrame, batch.timestamp);
  });
  const finish = (): void => {
    stop();
    if (drainCheck) clearInterval(drainCheck);
    drainCheck = null;
  };
  socket.on('close', finish);
  socket.on('error', finish);
}
