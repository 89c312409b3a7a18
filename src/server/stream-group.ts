/**
 * Every `/api/stream` socket of one view behind a single listener of its channel. Each batch is
 * encoded once per format the group's sockets use (the seed's message, and the positional and
 * keyed deltas while some socket asked for them), header and payload, and kept in a short log
 * until every socket has been written it. The sockets are written in rounds (send-rounds.ts): a
 * socket gets every logged batch it has not had, in one corked write.
 */
import type { Timestamp } from '../engine/types.js';
import type { Hub } from '../hub/hub.js';
import { keyedLists, keyedSingleFrame } from '../hub/keyed-wire.js';
import type { PublishedBatch, ViewChannel } from '../hub/view-channel.js';
import type { ViewErrorBody } from '../core/wire-protocol.js';
import { RoundLog } from './round-log.js';
import { SendRounds } from './send-rounds.js';
import { positionalDelta, streamFullFrame } from './stream-array-frames.js';
import { viewError, viewErrorBody } from './view-errors.js';
import { encodeTextFrame, textFrame } from './ws-frames.js';

/** The seed's `{"inserted","deleted","timestamp"}` objects, or positional or keyed arrays (opt-in). */
export type StreamFormat = 'seed' | 'positional' | 'keyed';

/** A message's payload and its encoded WebSocket frame. */
export interface Encoded {
  payload: Buffer;
  frame: Buffer;
}

/** One batch of the view, encoded for every format a socket of the group used when it came. */
export interface LoggedBatch {
  timestamp: Timestamp;
  seed: Encoded;
  positional: Encoded | null;
  keyed: Encoded | null;
}

/** What the group needs of a socket. */
export interface GroupMember {
  readonly format: StreamFormat;
  /** The sequence number of the first logged batch this socket has not been written. */
  nextSeq: number;
  /** Whether the socket waits for its catch-up (it fell behind): it takes nothing from the log. */
  readonly behind: boolean;
  /** Writes the socket the batches from `nextSeq` on; must not throw. */
  flush(group: StreamGroup): void;
  /** Sends the view's error as the socket's last message and closes it. */
  fail(error: ViewErrorBody): void;
}

export class StreamGroup {
  readonly members = new Set<GroupMember>();
  /** Sockets that asked for the positional or the keyed format: those frames are made only for them. */
  private positionalMembers = 0;
  private keyedMembers = 0;
  /** The timestamp of the last batch published to the group: what positional deltas count from. */
  base: Timestamp | null = null;
  /** Batches not yet written to every socket. */
  private readonly log = new RoundLog<LoggedBatch>();
  private readonly rounds = new SendRounds<GroupMember>(
    () => this.members,
    (member) => member.flush(this),
    () => this.trim(),
  );
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

  /** The sequence number the next published batch will have: where a socket that is current starts. */
  get nextSeq(): number {
    return this.log.nextSeq;
  }

  /** The batch with sequence number `seq`, while the log holds it. */
  logged(seq: number): LoggedBatch | undefined {
    return this.log.at(seq);
  }

  private failAll(error: ViewErrorBody): void {
    for (const member of this.members) member.fail(error);
  }

  private publish(batch: PublishedBatch): void {
    const error = viewError(this.hub, this.view);
    if (error) {
      this.failAll(error);
      return;
    }
    const timestamp = batch.timestamp;
    // Encoded once for every stream socket of the view: there is one group per view.
    const payload = Buffer.from(batch.streamFrame);
    let positional: Encoded | null = null;
    if (this.positionalMembers > 0) {
      // Before any batch the group has no base: the first is sent in full, with itself as base.
      // Its lists are a keyless view's: inserted and deleted rows.
      const bytes =
        this.base === null
          ? streamFullFrame(timestamp, keyedLists(batch.changes, null), timestamp)
          : positionalDelta(batch.changes, timestamp - this.base);
      positional = { payload: bytes, frame: encodeTextFrame(bytes) };
    }
    let keyed: Encoded | null = null;
    if (this.keyedMembers > 0) {
      const bytes = Buffer.from(keyedSingleFrame(timestamp - batch.previousBase, batch.keyedEntry));
      keyed = { payload: bytes, frame: encodeTextFrame(bytes) };
    }
    this.base = timestamp;
    this.log.push({ timestamp, seed: { payload, frame: textFrame(payload) }, positional, keyed });
    this.rounds.request();
  }

  /** Drops the batches every socket has been written (a socket that fell behind catches up apart). */
  private trim(): void {
    this.log.trim(this.positions());
  }

  private *positions(): Iterable<number> {
    for (const member of this.members) if (!member.behind) yield member.nextSeq;
  }

  add(member: GroupMember): void {
    this.members.add(member);
    if (member.format === 'positional') this.positionalMembers++;
    if (member.format === 'keyed') this.keyedMembers++;
  }

  remove(member: GroupMember): void {
    if (!this.members.delete(member)) return;
    if (member.format === 'positional') this.positionalMembers--;
    if (member.format === 'keyed') this.keyedMembers--;
    if (this.members.size > 0) return;
    this.stop();
    this.stopStatus();
    this.onEmpty();
  }
}

const groups = new WeakMap<ViewChannel, StreamGroup>();

/** The view's group, made with its first socket and let go with its last. */
export function groupOf(channel: ViewChannel, hub: Hub, view: string): StreamGroup {
  let group = groups.get(channel);
  if (!group) {
    group = new StreamGroup(channel, hub, view, () => groups.delete(channel));
    groups.set(channel, group);
  }
  return group;
}
