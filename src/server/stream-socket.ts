/**
 * `GET /api/stream/:view` over WebSocket: the original demo's contract. The first message is the
 * whole current state (`deleted` empty), then one message per batch; empty batches are not sent.
 * The snapshot and the listener are set up in the same tick, so no batch falls between them.
 *
 * A client that stops reading must not grow the server's memory: once its unsent bytes pass the
 * limit it is sent nothing more; when it has drained below half the limit it gets one message with
 * the net change since the last one it was sent (the view's one catch-up, `ViewChannel.catchUp`).
 * This protocol has no way to say "start over", so when a snapshot is due instead (the log no
 * longer reaches back, or the change is larger than the view) the socket is closed (1008) and the
 * client reconnects for the whole state.
 *
 * A view in error (errors are data) cannot be shown as rows: its client gets one last message, the
 * error as `GET /api/views/:view` answers it (`{"error": {code, message, view, errors}}`), and the
 * socket closes with 4409. A client reconnecting while the view is still in error gets the same;
 * once the view recovers, its reconnect gets the whole state as always.
 */
import type { WebSocket } from 'ws';
import type { Timestamp } from '../engine/types.js';
import type { Hub } from '../hub/hub.js';
import type { PublishedBatch } from '../hub/view-channel.js';
import { streamFrameFrom } from '../hub/wire.js';
import { CLOSE_POLICY, CLOSE_UNKNOWN_VIEW, CLOSE_VIEW_IN_ERROR } from '../core/wire-protocol.js';
import { streamErrorText, viewError, viewErrorBody } from './view-errors.js';
import { writeText } from './ws-frames.js';

/** How often a client that fell behind is checked for having drained. */
const DRAIN_CHECK_MS = 100;

/** Each batch's message as bytes, encoded once for every stream socket of its view. */
const encodedBatches = new WeakMap<PublishedBatch, Buffer>();
function batchBytes(batch: PublishedBatch): Buffer {
  let bytes = encodedBatches.get(batch);
  if (!bytes) encodedBatches.set(batch, (bytes = Buffer.from(batch.streamFrame)));
  return bytes;
}

/** The snapshot message as bytes, re-encoded only when the view's cached snapshot text changes. */
let snapshotCache: { text: string; bytes: Buffer } | null = null;
function snapshotBytes(text: string): Buffer {
  if (snapshotCache?.text !== text) snapshotCache = { text, bytes: Buffer.from(text) };
  return snapshotCache.bytes;
}

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
  const inError = (): boolean => {
    const error = viewError(hub, view);
    if (!error) return false;
    if (socket.readyState === socket.OPEN) {
      writeText(socket, Buffer.from(streamErrorText(error)));
      socket.close(CLOSE_VIEW_IN_ERROR, `view "${view}" is in error`.slice(0, 120));
    }
    return true;
  };
  if (inError()) return;
  /** The timestamp of the last message sent: the client's state once it reads everything. */
  let sentAt: Timestamp = channel.timestamp ?? 0;
  let drainCheck: NodeJS.Timeout | null = null;
  const send = (frame: Buffer, timestamp: Timestamp): void => {
    writeText(socket, frame);
    sentAt = timestamp;
    sent(frame.length);
  };
  const catchUp = (): void => {
    if (socket.readyState !== socket.OPEN || socket.bufferedAmount > bufferLimit / 2) return;
    if (drainCheck) clearInterval(drainCheck);
    drainCheck = null;
    const now = channel.timestamp ?? 0;
    const plan = channel.catchUp(sentAt);
    if (plan.kind === 'snapshot') {
      socket.close(CLOSE_POLICY, 'fell behind further than the server keeps; reconnect for the whole state');
      return;
    }
    if (plan.kind === 'current') sentAt = now;
    else send(Buffer.from(streamFrameFrom(plan.fragment, now)), now);
  };
  /** A socket whose send throws is closed alone: the view's other clients never notice. */
  const guarded =
    (work: () => void): (() => void) =>
    () => {
      try {
        work();
      } catch {
        finish();
        socket.terminate();
      }
    };
  const stop = channel.listen((batch) =>
    guarded(() => {
      if (socket.readyState !== socket.OPEN || inError()) return;
      if (drainCheck) return; // behind: the catch-up sends the net change later
      if (socket.bufferedAmount > bufferLimit) {
        drainCheck = setInterval(guarded(catchUp), DRAIN_CHECK_MS);
        return;
      }
      send(batchBytes(batch), batch.timestamp);
    })(),
  );
  // The hub reports the error before it applies the batch that carries it: the client is told at once.
  const stopStatus = hub.onStatus((name, status) => {
    if (name === view && viewErrorBody(name, status)) guarded(() => void inError())();
  });
  const finish = (): void => {
    stop();
    stopStatus();
    if (drainCheck) clearInterval(drainCheck);
    drainCheck = null;
  };
  guarded(() => send(snapshotBytes(channel.snapshotFrame()), channel.timestamp ?? 0))();
  socket.on('close', finish);
  socket.on('error', finish);
}
