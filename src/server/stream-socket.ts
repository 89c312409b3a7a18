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
 */
import type { WebSocket } from 'ws';
import type { Timestamp } from '../engine/types.js';
import type { Hub } from '../hub/hub.js';
import type { PublishedBatch, ViewChannel } from '../hub/view-channel.js';
import { streamFrameFrom } from '../hub/wire.js';
import { CLOSE_POLICY, CLOSE_UNKNOWN_VIEW } from '../core/wire-protocol.js';
import { textFrame, writeFrame } from './ws-frames.js';

/** How often a client that fell behind is checked for having drained. */
const DRAIN_CHECK_MS = 100;
/** `WebSocket.OPEN`. */
const OPEN = 1;

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

/** One `/api/stream` socket: what it was sent last, and whether it fell behind. */
class StreamClient {
  /** The timestamp of the last message sent: the client's state once it reads everything. */
  sentAt: Timestamp;
  drainCheck: NodeJS.Timeout | null = null;

  constructor(
    readonly socket: WebSocket,
    readonly channel: ViewChannel,
    readonly sent: (bytes: number) => void,
    readonly bufferLimit: number,
    readonly leave: (client: StreamClient) => void,
  ) {
    this.sentAt = channel.timestamp ?? 0;
  }

  send(payload: Buffer, frame: Buffer | null, timestamp: Timestamp): void {
    writeFrame(this.socket, payload, frame);
    this.sentAt = timestamp;
    this.sent(payload.length);
  }

  /** One batch of the view: sent now, or left to the catch-up of a client that fell behind. */
  onBatch(payload: Buffer, frame: Buffer, timestamp: Timestamp): void {
    if (this.drainCheck || this.socket.readyState !== OPEN) return;
    if (this.socket.bufferedAmount > this.bufferLimit) {
      this.drainCheck = setInterval(() => this.guarded(() => this.catchUp()), DRAIN_CHECK_MS);
      return;
    }
    this.send(payload, frame, timestamp);
  }

  catchUp(): void {
    const { socket, channel } = this;
    if (socket.readyState !== OPEN || socket.bufferedAmount > this.bufferLimit / 2) return;
    this.stopDrainCheck();
    const now = channel.timestamp ?? 0;
    const plan = channel.catchUp(this.sentAt);
    if (plan.kind === 'snapshot') {
      socket.close(CLOSE_POLICY, 'fell behind further than the server keeps; reconnect for the whole state');
      return;
    }
    if (plan.kind === 'current') this.sentAt = now;
    else this.send(Buffer.from(streamFrameFrom(plan.fragment, now)), null, now);
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
    this.stopDrainCheck();
    this.leave(this);
  }
}

/**
 * Every stream socket of one view behind a single listener of its channel: a batch's bytes and
 * frame are looked up once, then the loop only writes, with no closure or lookup per socket.
 */
class StreamGroup {
  readonly clients = new Set<StreamClient>();
  private readonly stop: () => void;

  constructor(
    channel: ViewChannel,
    private readonly onEmpty: () => void,
  ) {
    this.stop = channel.listen((batch) => this.publish(batch));
  }

  private publish(batch: PublishedBatch): void {
    const payload = batchBytes(batch);
    const frame = textFrame(payload);
    const timestamp = batch.timestamp;
    for (const client of this.clients) {
      try {
        client.onBatch(payload, frame, timestamp);
      } catch {
        client.finish();
        client.socket.terminate();
      }
    }
  }

  remove(client: StreamClient): void {
    if (!this.clients.delete(client) || this.clients.size > 0) return;
    this.stop();
    this.onEmpty();
  }
}

const groups = new WeakMap<ViewChannel, StreamGroup>();

function groupOf(channel: ViewChannel): StreamGroup {
  let group = groups.get(channel);
  if (!group) {
    group = new StreamGroup(channel, () => groups.delete(channel));
    groups.set(channel, group);
  }
  return group;
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
  const group = groupOf(channel);
  const client = new StreamClient(socket, channel, sent, bufferLimit, (c) => group.remove(c));
  // The snapshot and joining the group happen in the same tick: no batch falls between them.
  group.clients.add(client);
  client.guarded(() => client.send(snapshotBytes(channel.snapshotFrame()), null, channel.timestamp ?? 0));
  const finish = (): void => client.finish();
  socket.on('close', finish);
  socket.on('error', finish);
}
