/**
 * `GET /api/stream/:view` over WebSocket: the original demo's contract. The first message is the
 * whole current state (`deleted` empty), then one message per batch; empty batches are not sent.
 * The snapshot and the listener are set up in the same tick, so no batch falls between them. The
 * view's sockets are written by their group (stream-group.ts), in rounds that yield to the event loop.
 *
 * A client that stops reading must not grow the server's memory: once its unsent bytes pass the
 * limit it is sent nothing more; when it has drained below half the limit it gets one message with
 * the net change since the last one it was sent (the view's one catch-up, `ViewChannel.catchUp`).
 * This protocol has no way to say "start over", so when a snapshot is due instead (the log no
 * longer reaches back, or the change is larger than the view) the socket is closed (1008) and the
 * client reconnects for the whole state.
 *
 * A view in error (errors are data) cannot be shown as rows: its clients get one last message, the
 * error as `GET /api/views/:view` answers it (`{"error": {code, message, view, errors}}`), and the
 * sockets close with 4409. A client reconnecting while the view is still in error gets the same;
 * once the view recovers, its reconnect gets the whole state as always.
 */
import type { WebSocket } from 'ws';
import type { Timestamp } from '../engine/types.js';
import type { Hub } from '../hub/hub.js';
import type { ViewChannel } from '../hub/view-channel.js';
import { streamFrameFrom } from '../hub/wire.js';
import type { ViewErrorBody } from '../core/wire-protocol.js';
import { CLOSE_POLICY, CLOSE_UNKNOWN_VIEW, CLOSE_VIEW_IN_ERROR } from '../core/wire-protocol.js';
import { keyedLists } from '../hub/keyed-wire.js';
import {
  groupOf,
  type Encoded,
  type GroupMember,
  type StreamFormat,
  type StreamGroup,
} from './stream-group.js';
import { positionalFromFragment, streamFullFrame } from './stream-array-frames.js';
import { streamErrorText, viewError } from './view-errors.js';
import { corked, writeFrame, writeText } from './ws-frames.js';

/** How often a client that fell behind is checked for having drained. */
const DRAIN_CHECK_MS = 100;
/** `WebSocket.OPEN`. */
const OPEN = 1;

/** The snapshot message as bytes, re-encoded only when the view's cached snapshot text changes. */
let snapshotCache: { text: string; bytes: Buffer } | null = null;
function snapshotBytes(text: string): Buffer {
  if (snapshotCache?.text !== text) snapshotCache = { text, bytes: Buffer.from(text) };
  return snapshotCache.bytes;
}

/** One `/api/stream` socket: what it was sent last, and whether it fell behind. */
class StreamClient implements GroupMember {
  /** The timestamp of the last message sent: the client's state once it reads everything. */
  sentAt: Timestamp;
  nextSeq: number;
  drainCheck: NodeJS.Timeout | null = null;
  private finished = false;

  constructor(
    readonly socket: WebSocket,
    readonly channel: ViewChannel,
    readonly sent: (bytes: number) => void,
    readonly bufferLimit: number,
    readonly group: StreamGroup,
    readonly format: StreamFormat,
  ) {
    this.sentAt = channel.timestamp ?? 0;
    this.nextSeq = group.nextSeq;
  }

  get behind(): boolean {
    return this.drainCheck !== null;
  }

  send(payload: Buffer, frame: Buffer | null, timestamp: Timestamp): void {
    writeFrame(this.socket, payload, frame);
    this.sentAt = timestamp;
    this.sent(payload.length);
  }

  /** Writes the batches the socket has not had, in one corked write, or leaves them to its catch-up. */
  flush(group: StreamGroup): void {
    if (this.finished || this.drainCheck || this.nextSeq >= group.nextSeq) return;
    this.guarded(() => {
      if (this.socket.readyState !== OPEN) return;
      if (this.socket.bufferedAmount > this.bufferLimit) {
        this.drainCheck = setInterval(() => this.guarded(() => this.catchUp()), DRAIN_CHECK_MS);
        return;
      }
      const from = this.nextSeq;
      const to = group.nextSeq;
      this.nextSeq = to;
      // Read from the log in place: a round visits every socket, so nothing is copied per visit.
      const write = (): void => {
        for (let seq = from; seq < to; seq++) {
          const batch = group.logged(seq);
          if (!batch) continue;
          const encoded: Encoded | null =
            this.format === 'seed' ? batch.seed : this.format === 'keyed' ? batch.keyed : batch.positional;
          if (encoded) this.send(encoded.payload, encoded.frame, batch.timestamp);
        }
      };
      if (to - from === 1) write();
      else corked(this.socket, write);
    });
  }

  catchUp(): void {
    const { socket, channel } = this;
    if (socket.readyState !== OPEN || socket.bufferedAmount > this.bufferLimit / 2) return;
    this.stopDrainCheck();
    const now = channel.timestamp ?? 0;
    // Every batch published so far is in the channel's state at `now`.
    this.nextSeq = this.group.nextSeq;
    const plan = channel.catchUp(this.sentAt);
    if (plan.kind === 'snapshot') {
      socket.close(CLOSE_POLICY, 'fell behind further than the server keeps; reconnect for the whole state');
      return;
    }
    if (plan.kind === 'current') this.sentAt = now;
    else if (this.format === 'keyed')
      this.send(
        streamFullFrame(now, keyedLists(plan.changes, channel.keyColumns), channel.base ?? now),
        null,
        now,
      );
    else if (this.format === 'positional')
      this.send(positionalFromFragment(plan.fragment, now, this.group.base ?? now), null, now);
    else this.send(Buffer.from(streamFrameFrom(plan.fragment, now)), null, now);
  }

  /** The connection's first message: the whole state. */
  sendSnapshot(): void {
    const { channel } = this;
    const now = channel.timestamp ?? 0;
    this.nextSeq = this.group.nextSeq;
    if (this.format === 'keyed') {
      const full = streamFullFrame(now, [channel.rows.rows(), []], channel.base ?? now, channel.keyColumns);
      this.send(full, null, now);
    } else if (this.format === 'positional')
      this.send(streamFullFrame(now, [channel.rows.rows(), []], this.group.base ?? now), null, now);
    else this.send(snapshotBytes(channel.snapshotFrame()), null, now);
  }

  fail(error: ViewErrorBody): void {
    this.guarded(() => sendErrorAndClose(this.socket, this.channel.name, error));
  }

  /** A socket whose send throws is closed alone: the view's other clients never notice. */
  guarded(work: () => void): void {
    try {
      work();
    } catch {
      this.finish();
      this.socket.terminate();
    }
  }

  stopDrainCheck(): void {
    if (this.drainCheck) clearInterval(this.drainCheck);
    this.drainCheck = null;
  }

  finish(): void {
    this.finished = true;
    this.stopDrainCheck();
    this.group.remove(this);
  }
}

/** The view's error as the socket's last message, then close 4409: its rows cannot be shown. */
function sendErrorAndClose(socket: WebSocket, view: string, error: ViewErrorBody): void {
  if (socket.readyState !== OPEN) return;
  writeText(socket, Buffer.from(streamErrorText(error)));
  socket.close(CLOSE_VIEW_IN_ERROR, `view "${view}" is in error`.slice(0, 120));
}

export function serveStream(
  socket: WebSocket,
  hub: Hub,
  view: string,
  sent: (bytes: number) => void = () => undefined,
  bufferLimit = 1024 * 1024,
  format: StreamFormat = 'seed',
): void {
  const channel = hub.channel(view);
  if (!channel) {
    socket.close(CLOSE_UNKNOWN_VIEW, `unknown view "${view}"`.slice(0, 120));
    return;
  }
  const error = viewError(hub, view);
  if (error) {
    sendErrorAndClose(socket, view, error);
    return;
  }
  const group = groupOf(channel, hub, view);
  const client = new StreamClient(socket, channel, sent, bufferLimit, group, format);
  // The snapshot and joining the group happen in the same tick: no batch falls between them.
  group.add(client);
  client.guarded(() => client.sendSnapshot());
  const finish = (): void => client.finish();
  socket.on('close', finish);
  socket.on('error', finish);
}
