/**
 * One client of the multiplexed protocol (a `/api/subscribe` socket or an SSE stream), independent
 * of the transport: which views it follows, the timestamp it has each at, and the slow-client policy.
 *
 * A client whose unsent bytes pass the limit is "behind": it is sent nothing more until its buffer
 * drains below half the limit; meanwhile only the timestamps it has its views at and a count of
 * skipped batches are kept (its memory does not grow). When it drains, it gets one net diff per view
 * merged from the hub's retention log (or a `reset` when that log no longer reaches back or a snapshot
 * is smaller), closed by one `batch` frame that says how many batches were merged.
 */
import type { Timestamp } from '../engine/types.js';
import type { Hub } from '../hub/hub.js';
import type { Moment } from '../hub/moment.js';
import type { ViewChannel } from '../hub/view-channel.js';
import { batchFrame, progressFrame } from '../hub/wire.js';

export type FrameKind = 'hello' | 'snapshot' | 'batch' | 'reset' | 'progress' | 'error';

/** What a transport offers a session. */
export interface FrameSink {
  /** Queues one frame; `timestamp` is set on frames that carry one (SSE uses it as the event id). */
  send(kind: FrameKind, frame: Buffer, timestamp: Timestamp | null): void;
  /** Bytes queued and not yet written to the network. */
  readonly buffered: number;
}

export interface SessionLimits {
  clientBufferBytes: number;
  progressMs: number;
}

export interface SessionEvents {
  sent(bytes: number): void;
  merged(batches: number): void;
  behind(session: Session): void;
  caughtUp(session: Session): void;
}

export class Session {
  /** Per followed view: the timestamp the client has it at, or null while it has nothing yet. */
  readonly views = new Map<string, Timestamp | null>();
  /** The followed views' names, sorted: the key under which a moment caches this client's frame. */
  private viewsKey = '';
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

  constructor(
    private readonly hub: Hub,
    private readonly sink: FrameSink,
    private readonly limits: SessionLimits,
    private readonly events: SessionEvents,
    private readonly now: () => number = Date.now,
  ) {}

  private emit(kind: FrameKind, frame: Buffer, timestamp: Timestamp | null): void {
    this.sink.send(kind, frame, timestamp);
    this.frames++;
    this.bytes += frame.length;
    this.events.sent(frame.length);
    this.lastSentAt = this.now();
    if (timestamp !== null && (this.lastTimestamp === null || timestamp > this.lastTimestamp))
      this.lastTimestamp = timestamp;
    this.peakBuffered = Math.max(this.peakBuffered, this.sink.buffered);
  }

  sendRaw(kind: FrameKind, frame: Buffer, timestamp: Timestamp | null = null): void {
    this.emit(kind, frame, timestamp);
  }

  private channel(view: string): ViewChannel {
    return this.hub.require(view);
  }

  /**
   * Follows `views` (all known to the hub). Without `since` each gets a snapshot; with it, the batches
   * after `since` from the retention log, or a reset when the log does not reach back.
   */
  subscribe(views: string[], since: Timestamp | null): void {
    this.subscribeViews(views, since);
    this.rekey();
  }

  private subscribeViews(views: string[], since: Timestamp | null): void {
    const now = this.hub.timestamp ?? 0;
    // A client that asks for snapshots but does not read them must not grow the server's memory.
    if (!this.behind && this.sink.buffered > this.limits.clientBufferBytes) {
      this.behind = true;
      this.events.behind(this);
    }
    if (this.behind) {
      for (const view of views) this.views.set(view, since);
      return;
    }
    if (since === null) {
      for (const view of views) {
        this.views.set(view, now);
        this.emit('snapshot', this.channel(view).subscribeSnapshot(), now);
      }
      return;
    }
    const replay = new Map<Timestamp, Array<[string, string]>>();
    const resets: Buffer[] = [];
    let resumed = 0;
    // Hub order, so that frames list views the same way as live batches do.
    for (const channel of this.hub.views) {
      if (!views.includes(channel.name)) continue;
      this.views.set(channel.name, now);
      const batches = since > now ? null : (channel.retained?.since(since) ?? null);
      if (!batches) {
        resets.push(channel.resetFrame(since > now ? 'since-ahead' : 'since-not-retained'));
        continue;
      }
      resumed++;
      for (const batch of batches) {
        let parts = replay.get(batch.timestamp);
        if (!parts) replay.set(batch.timestamp, (parts = []));
        parts.push([channel.name, batch.fragment]);
      }
    }
    for (const timestamp of [...replay.keys()].sort((a, b) => a - b))
      this.emit('batch', Buffer.from(batchFrame(timestamp, replay.get(timestamp) ?? [])), timestamp);
    for (const frame of resets) this.emit('reset', frame, now);
    // Some views reset to `now`, others resumed from the log: say at once that those are at `now`
    // too, so a client holding the reset back for one moment across its views can apply it.
    if (resets.length > 0 && resumed > 0) this.emit('progress', Buffer.from(progressFrame(now)), now);
    if (resets.length === 0 && this.lastTimestamp === null) this.lastTimestamp = since;
  }

  unsubscribe(views: string[]): void {
    for (const view of views) this.views.delete(view);
    this.rekey();
  }

  private rekey(): void {
    this.viewsKey = [...this.views.keys()].sort().join('\n');
  }

  onMoment(moment: Moment): void {
    if (this.views.size === 0) return;
    if (!this.behind && this.sink.buffered > this.limits.clientBufferBytes) {
      this.behind = true;
      this.events.behind(this);
    }
    if (this.behind) {
      if (moment.changed.some((batch) => this.views.has(batch.view))) this.merged++;
      this.tryCatchUp();
      return;
    }
    for (const view of this.views.keys()) this.views.set(view, moment.timestamp);
    const frame = moment.frameForKey(this.viewsKey, this.views);
    if (frame) this.emit('batch', frame, moment.timestamp);
  }

  /** Called periodically: catches a drained client up, or tells an idle one how fresh it is. */
  tick(): void {
    if (this.behind) {
      this.tryCatchUp();
      return;
    }
    const now = this.hub.timestamp;
    if (this.views.size === 0 || now === null) return;
    if (this.lastTimestamp !== null && now <= this.lastTimestamp) return;
    if (this.now() - this.lastSentAt < this.limits.progressMs) return;
    this.emit('progress', Buffer.from(progressFrame(now)), now);
  }

  private tryCatchUp(): void {
    if (this.sink.buffered > this.limits.clientBufferBytes / 2) return;
    const now = this.hub.timestamp ?? 0;
    const parts: Array<[string, string]> = [];
    for (const channel of this.hub.views) {
      if (!this.views.has(channel.name)) continue;
      const at = this.views.get(channel.name) ?? null;
      this.views.set(channel.name, now);
      if (at === null) {
        this.emit('snapshot', channel.subscribeSnapshot(), now);
        continue;
      }
      const plan = channel.catchUp(at);
      if (plan.kind === 'diff') parts.push([channel.name, plan.fragment]);
      else if (plan.kind === 'snapshot') this.emit('reset', channel.resetFrame('behind'), now);
    }
    const merged = this.merged;
    if (merged > 0 || parts.length > 0) {
      this.emit('batch', Buffer.from(batchFrame(now, parts, Math.max(merged, 1))), now);
      this.events.merged(merged);
    }
    this.merged = 0;
    this.behind = false;
    this.events.caughtUp(this);
  }
}
