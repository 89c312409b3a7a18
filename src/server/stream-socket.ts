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
 * A view in error (errors are data) cannot be shown as rows: its clients get one last message, the
 * error as `GET /api/views/:view` answers it (`{"error": {code, message, view, errors}}`), and the
 * sockets close with 4409. A client reconnecting while the view is still in error gets the same;
 * once the view recovers, its reconnect gets the whole state as always.
 */
import type { WebSocket } from 'ws';
import type { Timestamp } from '../engine/types.js';
import type { Hub } from '../hub/hub.js';
import type { PublishedBatch, ViewChannel } from '../hub/view-channel.js';
import { streamFrameFrom, toStreamMessage } from '../hub/wire.js';
import type { Row } from '../core/multiset.js';
import type { ViewErrorBody } from '../core/wire-protocol.js';
import { CLOSE_POLICY, CLOSE_UNKNOWN_VIEW, CLOSE_VIEW_IN_ERROR } from '../core/wire-protocol.js';
import { keyedLists, keyedSingleFrame, keyedStreamFull } from '../hub/keyed-wire.js';
import { positionalDelta, positionalFromFragment, positionalFull } from './stream-positional.js';
import { streamErrorText, viewError, viewErrorBody } from './view-errors.js';
import { encodeTextFrame, textFrame, writeFrame, writeText } from './ws-frames.js';

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

/** The seed's `{"inserted","deleted","timestamp"}` objects, or positional or keyed arrays (opt-in). */
export type StreamFormat = 'seed' | 'positional' | 'keyed';

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
    readonly group: StreamGroup,
    readonly format: StreamFormat,
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
    if (this.format !== 'seed') {
      this.onPositionalBatch(timestamp);
      return;
    }
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
    else if (this.format === 'keyed')
      this.send(
        Buffer.from(keyedStreamFull(now, keyedLists(plan.changes, channel.keyColumns), channel.base ?? now)),
        null,
        now,
      );
    else if (this.format === 'positional')
      this.send(positionalFromFragment(plan.fragment, now, this.group.base ?? now), null, now);
    else this.send(Buffer.from(streamFrameFrom(plan.fragment, now)), null, now);
  }

  /** The positional (or keyed) twin of `onBatch`: the group's delta frame, shared by every such socket. */
  private onPositionalBatch(timestamp: Timestamp): void {
    if (this.drainCheck || this.socket.readyState !== OPEN) return;
    if (this.socket.bufferedAmount > this.bufferLimit) {
      this.drainCheck = setInterval(() => this.guarded(() => this.catchUp()), DRAIN_CHECK_MS);
      return;
    }
    const compact = this.format === 'keyed' ? this.group.keyed : this.group.positional;
    if (compact) this.send(compact.payload, compact.frame, timestamp);
  }

  /** The connection's first message: the whole state. */
  sendSnapshot(): void {
    const { channel } = this;
    const now = channel.timestamp ?? 0;
    if (this.format === 'keyed') {
      const full = keyedStreamFull(now, [channel.rows.rows(), []], channel.base ?? now, channel.keyColumns);
      this.send(Buffer.from(full), null, now);
    } else if (this.format === 'positional')
      this.send(positionalFull(now, channel.rows.rows(), [], this.group.base ?? now), null, now);
    else this.send(snapshotBytes(channel.snapshotFrame()), null, now);
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
  /** Sockets that asked for the positional format: its frame is made only while there are some. */
  positionalClients = 0;
  /** The timestamp of the last batch published to the group: what positional deltas count from. */
  base: Timestamp | null = null;
  /** The current batch as a positional delta, for every positional socket. */
  positional: { payload: Buffer; frame: Buffer } | null = null;
  /** Sockets that asked for the keyed form, and the current batch in it (`[dt,upserted,removed]`). */
  keyedClients = 0;
  keyed: { payload: Buffer; frame: Buffer } | null = null;
  private readonly stop: () => void;
  private readonly stopStatus: () => void;

  constructor(
    channel: ViewChannel,
    private readonly hub: Hub,
    private readonly view: string,
    private readonly onEmpty: () => void,
  ) {
    this.stop = channel.listen((batch) => this.publish(batch));
    // The hub reports the error before it applies the batch that carries it: clients are told at once.
    this.stopStatus = hub.onStatus((name, status) => {
      const error = name === view ? viewErrorBody(name, status) : null;
      if (error) this.failAll(error);
    });
  }

  private failAll(error: ViewErrorBody): void {
    for (const client of this.clients)
      client.guarded(() => sendErrorAndClose(client.socket, this.view, error));
  }

  private publish(batch: PublishedBatch): void {
    const error = viewError(this.hub, this.view);
    if (error) {
      this.failAll(error);
      return;
    }
    // Encoded once for every stream socket of the view: there is one group per view.
    const payload = Buffer.from(batch.streamFrame);
    const frame = textFrame(payload);
    const timestamp = batch.timestamp;
    this.positional = null;
    if (this.positionalClients > 0) {
      // Before any batch the group has no base: the first is sent in full, with itself as base.
      const positional =
        this.base === null
          ? positionalFull(timestamp, ...splitChanges(batch), timestamp)
          : positionalDelta(batch.changes, timestamp - this.base);
      this.positional = { payload: positional, frame: encodeTextFrame(positional) };
    }
    this.keyed = null;
    if (this.keyedClients > 0) {
      const keyed = Buffer.from(keyedSingleFrame(timestamp - batch.previousBase, batch.keyedEntry));
      this.keyed = { payload: keyed, frame: encodeTextFrame(keyed) };
    }
    this.base = timestamp;
    for (const client of this.clients) {
      try {
        client.onBatch(payload, frame, timestamp);
      } catch {
        client.finish();
        client.socket.terminate();
      }
    }
  }

  add(client: StreamClient): void {
    this.clients.add(client);
    if (client.format === 'positional') this.positionalClients++;
    if (client.format === 'keyed') this.keyedClients++;
  }

  remove(client: StreamClient): void {
    if (!this.clients.delete(client)) return;
    if (client.format === 'positional') this.positionalClients--;
    if (client.format === 'keyed') this.keyedClients--;
    if (this.clients.size > 0) return;
    this.stop();
    this.stopStatus();
    this.onEmpty();
  }
}

function splitChanges(batch: PublishedBatch): [Row[], Row[]] {
  const { inserted, deleted } = toStreamMessage(batch.changes, batch.timestamp);
  return [inserted, deleted];
}

/** The view's error as the socket's last message, then close 4409: its rows cannot be shown. */
function sendErrorAndClose(socket: WebSocket, view: string, error: ViewErrorBody): void {
  if (socket.readyState !== OPEN) return;
  writeText(socket, Buffer.from(streamErrorText(error)));
  socket.close(CLOSE_VIEW_IN_ERROR, `view "${view}" is in error`.slice(0, 120));
}

const groups = new WeakMap<ViewChannel, StreamGroup>();

function groupOf(channel: ViewChannel, hub: Hub, view: string): StreamGroup {
  let group = groups.get(channel);
  if (!group) {
    group = new StreamGroup(channel, hub, view, () => groups.delete(channel));
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
  const client = new StreamClient(socket, channel, sent, bufferLimit, (c) => group.remove(c), group, format);
  // The snapshot and joining the group happen in the same tick: no batch falls between them.
  group.add(client);
  client.guarded(() => client.sendSnapshot());
  const finish = (): void => client.finish();
  socket.on('close', finish);
  socket.on('error', finish);
}
