/**
 * One client of the multiplexed protocol (a `/api/subscribe` socket or an SSE stream), independent
 * of the transport: which views it follows, the timestamp it has each at, and the slow-client policy.
 *
 * A client whose unsent bytes pass the limit is "behind": it is sent nothing more until its buffer
 * drains below half the limit; meanwhile only the timestamps it has its views at and a count of
 * skipped batches are kept (its memory does not grow). When it drains, it gets one net diff per view
 * merged from the hub's retention log (or a `reset` when that log no longer reaches back or a snapshot
 * is smaller), closed by one `batch` frame that says how many batches were merged.
 *
 * A view in error (errors are data) is followed but not shown: the client gets an `error` frame
 * (code VIEWCAST_VIEW_ERROR, the view, the reason and the failing value), then no batches of that
 * view until it recovers, and then a `reset` (reason `recovered`) with its whole state. Its position
 * is null meanwhile, so an SSE stream that resumes across the error gets the view's state anew.
 */
import type { FrameKind } from '../core/wire-protocol.js';
import type { Timestamp } from '../engine/types.js';
import type { Hub } from '../hub/hub.js';
import type { Moment } from '../hub/moment.js';
import type { PublishedBatch, ViewChannel } from '../hub/view-channel.js';
import { basesField, progressWithBases } from '../hub/keyed-wire.js';
import { progressBuffer } from './session-frames.js';
import { planCatchUp } from './catch-up-plan.js';
import { batchFrame, type ResetReason } from '../hub/wire.js';
import type { Positions } from './sse-position.js';
import { FailingViews } from './failing-views.js';
import type { FrameSink } from './frame-sink.js';
import { planSubscribe } from './subscribe-plan.js';

export interface SessionLimits {
  clientBufferBytes: number;
  progressMs: number;
}

export interface SessionEvents {
  sent(bytes: number): void;
  merged(batches: number): void;
  behind(session: ClientSession): void;
  caughtUp(session: ClientSession): void;
  /** Hands the session the moments published and not yet given it (fanout.ts writes in rounds). */
  deliverPending(session: ClientSession): void;
}

const NO_VIEWS: readonly string[] = [];

export class ClientSession {
  /**
   * Per followed view: the timestamp the client has it at once it reads what was sent (moved with
   * every frame, so an SSE id can say it exactly), or null while it has nothing yet.
   */
  readonly views = new Map<string, Timestamp | null>();
  /** The shown views' names, sorted: the key under which a moment caches this client's frame. */
  private viewsKey = '';
  /** Followed views this client was told are in error: no batches are sent for them. */
  private readonly failing: FailingViews;
  /** The followed views in hub order (the order frames list views in). */
  private readonly followed = (): string[] => this.hub.viewNames.filter((view) => this.views.has(view));
  /** The followed views whose batches are sent (not in error). */
  private readonly shown = {
    has: (view: string): boolean => this.views.has(view) && !this.failing.has(view),
  };
  /** Skipped batches since the client fell behind. */
  private merged = 0;
  behind = false;
  /** The newest timestamp the client was told about (by any frame). */
  lastTimestamp: Timestamp | null = null;
  private lastSentAt = 0;
  /** Highest unsent byte count seen right after a send; bounded by the limit plus one frame. */
  peakBuffered = 0;
  frames = 0;
  bytes = 0;
  /** The fan-out's sequence number of the first moment this session has not been handed. */
  nextSeq = 0;

  constructor(
    private readonly hub: Hub,
    private readonly sink: FrameSink,
    private readonly limits: SessionLimits,
    private readonly events: SessionEvents,
    private readonly now: () => number = Date.now,
  ) {
    this.failing = new FailingViews(hub);
  }

  private emit(kind: FrameKind, frame: Buffer, timestamp: Timestamp | null): void {
    this.sink.send(kind, frame, timestamp, this.views);
    this.frames++;
    this.bytes += frame.length;
    this.events.sent(frame.length);
    this.lastSentAt = this.now();
    if (timestamp !== null && (this.lastTimestamp === null || timestamp > this.lastTimestamp))
      this.lastTimestamp = timestamp;
    this.peakBuffered = Math.max(this.peakBuffered, this.sink.buffered);
  }

  /** Bytes queued for the client and not yet written to the network. */
  get buffered(): number {
    return this.sink.buffered;
  }

  /** Ends the client's connection (its transport failed). */
  close(): void {
    this.sink.close();
  }

  /** A frame from outside the session (a query's, the greeting, a refusal), after the moments due to it. */
  sendRaw(kind: FrameKind, frame: Buffer, timestamp: Timestamp | null = null): void {
    this.events.deliverPending(this);
    this.emit(kind, frame, timestamp);
  }

  private channel(view: string): ViewChannel {
    return this.hub.require(view);
  }

  /** A view's `snapshot` (or `reset` with `reason`) frame in the client's form. */
  private stateFrame(channel: ViewChannel, reason: ResetReason | null): Buffer {
    if (this.sink.keyed) return channel.keyedStateFrame(reason ?? 'snapshot');
    return reason === null ? channel.subscribeSnapshot() : channel.resetFrame(reason);
  }

  /** A logged batch's fragment in the client's form. */
  private fragmentOf(batch: PublishedBatch): string {
    return this.sink.keyed ? batch.keyedEntry : batch.fragment;
  }

  /**
   * Follows `views` (all known to the hub). Without `since` each gets a snapshot; with it (one
   * timestamp for all, or one per view as an SSE id gives), the batches after it from the retention
   * log, or a reset when the log does not reach back.
   */
  subscribe(views: string[], since: Timestamp | null | Positions): void {
    this.events.deliverPending(this);
    const sinceOf = (view: string): Timestamp | null =>
      since !== null && typeof since === 'object' ? (since.get(view) ?? null) : since;
    this.corked(() => this.subscribeViews(views, sinceOf));
    this.rekey();
  }

  private corked(write: () => void): void {
    if (this.sink.corked) this.sink.corked(write);
    else write();
  }

  private subscribeViews(views: string[], sinceOf: (view: string) => Timestamp | null): void {
    const now = this.hub.timestamp ?? 0;
    // A client that asks for snapshots but does not read them must not grow the server's memory.
    if (this.fellBehind()) {
      for (const view of views) this.views.set(view, sinceOf(view));
      return;
    }
    const plan = planSubscribe(this.hub, views, sinceOf, this.failing, now, (batch) =>
      this.fragmentOf(batch),
    );
    for (const [view, at] of plan.positions) this.views.set(view, at);
    const { fresh, resumed } = plan;
    for (const [timestamp, parts] of plan.replay) {
      for (const view of resumed) this.views.set(view, Math.max(this.views.get(view) ?? 0, timestamp));
      this.emit('batch', Buffer.from(batchFrame(timestamp, parts)), timestamp);
    }
    for (const view of resumed) this.views.set(view, now);
    for (const { channel, reason } of fresh) {
      this.views.set(channel.name, now);
      this.emit(reason === null ? 'snapshot' : 'reset', this.stateFrame(channel, reason), now);
    }
    for (const frame of plan.errors) this.emit('error', frame, null);
    // Some views start over at `now`, others resumed from the log: say at once that those are at
    // `now` too, so a client holding the reset back for one moment across its views can apply it.
    // A keyed client is told the resumed views' bases too, which its next live frames count from.
    if (this.sink.keyed && resumed.length > 0) {
      const bases = resumed.map((view) => [view, this.channel(view).base ?? now] as const);
      this.emit('progress', Buffer.from(progressWithBases(now, bases)), now);
    } else if (fresh.length > 0 && resumed.length > 0) this.emit('progress', progressBuffer(now), now);
    if (fresh.length === 0 && this.lastTimestamp === null) this.lastTimestamp = plan.oldest;
  }

  /**
   * Whether the client is behind: it is from the moment its unsent bytes pass the limit until it
   * has caught up (`catchUp`).
   */
  private fellBehind(): boolean {
    if (!this.behind && this.sink.buffered > this.limits.clientBufferBytes) {
      this.behind = true;
      this.events.behind(this);
    }
    return this.behind;
  }

  unsubscribe(views: string[]): void {
    for (const view of views) {
      this.views.delete(view);
      this.failing.delete(view);
    }
    this.rekey();
  }

  private rekey(): void {
    this.viewsKey = [...this.views.keys()]
      .filter((view) => !this.failing.has(view))
      .sort()
      .join('\n');
  }

  /** Moves every shown view to `timestamp`; views in error stay at null (nothing shown). */
  private moveTo(timestamp: Timestamp): void {
    for (const view of this.views.keys()) if (!this.failing.has(view)) this.views.set(view, timestamp);
  }

  /**
   * Tells the client about views that went into error since it was last told (only when some
   * view's status changed at all), and returns the views that recovered: the caller sends their
   * resets after the moment's batch, whose changes the reset already includes.
   */
  private syncErrors(timestamp: Timestamp): string[] {
    const changes = this.failing.changes(this.followed, timestamp);
    if (!changes) return [];
    for (const [view, frame] of changes.failed) {
      this.views.set(view, null);
      this.emit('error', frame, null);
    }
    this.rekey();
    return changes.recovered;
  }

  private sendRecovered(recovered: readonly string[], timestamp: Timestamp): void {
    for (const view of recovered) {
      this.failing.recovered(view);
      this.views.set(view, timestamp);
      this.emit('reset', this.stateFrame(this.channel(view), 'recovered'), timestamp);
    }
    if (recovered.length > 0) this.rekey();
  }

  /**
   * Handles the moments numbered `from` to `to - 1`, written together (corked). The last of them is
   * the hub's latest moment (fanout.ts hands a session every moment logged so far): only at it are
   * the views' rows those a catch-up or a recovered view's reset is made of, so only then may those
   * be sent.
   */
  onMoments(momentAt: (seq: number) => Moment, from: number, to: number): void {
    if (this.views.size === 0) return;
    this.corked(() => {
      for (let seq = from; seq < to; seq++) this.onMoment(momentAt(seq), seq === to - 1);
    });
  }

  private onMoment(moment: Moment, latest: boolean): void {
    if (this.fellBehind()) {
      if (moment.changed.some((batch) => this.views.has(batch.view))) this.merged++;
      if (latest) this.tryCatchUp();
      return;
    }
    const recovered = latest ? this.syncErrors(moment.timestamp) : NO_VIEWS;
    this.moveTo(moment.timestamp);
    const frame = this.sink.keyed
      ? moment.keyedFrameForKey(this.viewsKey, this.shown, this.sink.keyed.single)
      : moment.frameForKey(this.viewsKey, this.shown);
    if (frame) this.emit('batch', frame, moment.timestamp);
    this.sendRecovered(recovered, moment.timestamp);
  }

  /** Called periodically: catches a drained client up, or tells an idle one how fresh it is. */
  tick(): void {
    this.events.deliverPending(this);
    if (this.behind) {
      this.tryCatchUp();
      return;
    }
    const now = this.hub.timestamp;
    if (this.views.size === 0 || now === null) return;
    // A view can fail for good (a remote subscription) without a moment to carry the news.
    this.sendRecovered(this.syncErrors(now), now);
    if (this.lastTimestamp !== null && now <= this.lastTimestamp) return;
    if (this.now() - this.lastSentAt < this.limits.progressMs) return;
    this.moveTo(now);
    this.emit('progress', progressBuffer(now), now);
  }

  private tryCatchUp(): void {
    if (this.sink.buffered > this.limits.clientBufferBytes / 2) return;
    this.corked(() => this.catchUp());
  }

  /** One net diff per view (or a snapshot or reset), each view's position moving with its frame. */
  private catchUp(): void {
    const now = this.hub.timestamp ?? 0;
    const plan = planCatchUp(this.hub, this.views, this.shown.has, Boolean(this.sink.keyed), now);
    for (const view of plan.current) this.views.set(view, now);
    for (const { channel, reason } of plan.states) {
      this.views.set(channel.name, now);
      this.emit(reason === null ? 'snapshot' : 'reset', this.stateFrame(channel, reason), now);
    }
    for (const [view] of plan.parts) this.views.set(view, now);
    const merged = this.merged;
    if (merged > 0 || plan.parts.length > 0) {
      const bases = basesField(plan.bases);
      this.emit('batch', Buffer.from(batchFrame(now, plan.parts, Math.max(merged, 1), bases)), now);
      this.events.merged(merged);
    }
    this.merged = 0;
    this.behind = false;
    this.events.caughtUp(this);
  }
}
