/**
 * `GET /api/stream/:view` over WebSocket: the original demo's contract. The first message is the
 * whole current state (`deleted` empty), then one message per batch; empty batches are not sent.
 * The snapshot and the listener are set up in the same tick, so no batch falls between them.
 */
import type { WebSocket } from 'ws';
import type { Hub } from '../hub/hub.js';

/** Close codes in the 4000-4999 range that applications may use. */
export const CLOSE_UNKNOWN_VIEW = 4404;

export function serveStream(
  socket: WebSocket,
  hub: Hub,
  view: string,
  sent: (bytes: number) => void = () => undefined,
): void {
  const channel = hub.channel(view);
  if (!channel) {
    socket.close(CLOSE_UNKNOWN_VIEW, `unknown view "${view}"`.slice(0, 120));
    return;
  }
  const send = (frame: string): void => {
    socket.send(frame);
    sent(Buffer.byteLength(frame));
  };
  send(channel.snapshotFrame());
  const stop = channel.listen((batch) => {
    if (socket.readyState === socket.OPEN) send(batch.streamFrame);
  });
  socket.on('close', stop);
  socket.on('error', stop);
}
