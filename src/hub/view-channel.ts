/**
 * One view in the hub: its current contents as a multiset, the timestamp they are valid at, a
 * bounded log of recent batches, and the listeners to its batches. Each batch is serialized once
 * (a fragment the multiplexed frames are built from, and the `/api/stream` message derived from it);
 * the snapshot frames are cached per timestamp. The same strings go to every subscriber.
 */
import { stringifyJson } from '../core/exact-json.js';
import { consolidate, difference, Multiset, type Change } from '../core/multiset.js';
import type { Timestamp, ViewInfo } from '../engine/types.js';
import type { Batch } from './batch-builder.js';
import { keyColumns, type KeyColumns } from '../core/keyed.js';
import { IsolatedListeners, type ListenerLog } from './isolated-listeners.js';
import { withKeyedState } from './keyed-wire.js';
import { Published, type PublishedBatch } from './published-batch.js';
import { RetentionLog, type RetentionLimits } from './retention-log.js';
import {
  changesFragment,
  resetFrame,
  rowTexts,
  snapshotFrame,
  stateBody,
  toStreamMessage,
  type ResetReason,
} from './wire.js';

export type { PublishedBatch };

export type BatchListener = (batch: PublishedBatch) => void;

/** What a client at some older timestamp needs to reach the view's current timestamp. */
export type CatchUp =
  | { kind: 'current' }
  | { kind: 'diff'; fragment: string; rows: number; changes: Change[] }
  | { kind: 'snapshot'; reason: ResetReason };

/** What a client at an older timestamp is sent: the batches it missed, or a snapshot. */
export type Replay =
  { kind: 'batches'; batches: PublishedBatch[] } | { kind: 'snapshot'; reason: ResetReason };

interface StateFrames {
  timestamp: Timestamp;
  body: string;
  snapshot: Buffer;
  stream: string;
  resets: Map<ResetReason, Buffer>;
  /** The same frames for keyed connections (with the view's form, key and base). */
  keyed: Map<ResetReason | 'snapshot', Buffer>;
}

export const DEFAULT_RETENTION: RetentionLimits = { batches: 1000, bytes: 8 * 1024 * 1024 };

export class ViewChannel {
  readonly rows = new Multiset();
  /** The timestamp the rows are valid at; null until the first snapshot arrived. */
  timestamp: Timestamp | null = null;
  private readonly listeners: IsolatedListeners<[PublishedBatch]>;
  private readonly progressListeners: IsolatedListeners<[Timestamp]>;
  /** Times the engine subscribed again from scratch (a remote engine after a lost connection). */
  resets = 0;
  private log: RetentionLog<PublishedBatch> | null = null;
  /** The last published batch, retired when the next one comes (published-batch.ts). */
  private latest: Published | null = null;
  private stateCache: StateFrames | null = null;
  private catchUpCache = new Map<Timestamp, CatchUp>();
  private catchUpCacheAt: Timestamp | null = null;
  /** The key's column positions (null: no unique key known), for the keyed form. */
  readonly keyColumns: KeyColumns | null;
  /** The timestamp of the view's last batch (its first snapshot's before any): keyed frames count from it. */
  base: Timestamp | null = null;

  constructor(
    readonly info: ViewInfo,
    private readonly retention: RetentionLimits = DEFAULT_RETENTION,
    log: ListenerLog = { error: (message) => process.stderr.write(`${message}\n`) },
  ) {
    this.listeners = new IsolatedListeners(`view ${info.name} batch`, log);
    this.progressListeners = new IsolatedListeners(`view ${info.name} progress`, log);
    this.keyColumns = keyColumns(
      info.columns.map((c) => c.name),
      info.key,
    );
  }

  /** The view's key by column names when the keyed form can use it, else null. */
  get key(): string[] | null {
    return this.keyColumns ? (this.info.key ?? null) : null;
  }

  get name(): string {
    return this.info.name;
  }

  /** The retention log; null until the first snapshot arrived. */
  get retained(): RetentionLog<PublishedBatch> | null {
    return this.log;
  }

  /**
   * Applies a batch and hands it to every listener (one that throws is logged and skipped). Returns the published
   * batch, or null when nothing changed (or the batch was the initial snapshot).
   */
  apply(batch: Batch): PublishedBatch | null {
    const published = this.publish(batch);
    // Most views have no listener of their progress, nor of their batches: no call at all.
    if (this.progressListeners.size > 0) this.progressListeners.emitOne(batch.timestamp);
    return published;
  }

  /**
   * Takes a fresh snapshot in place of the current state (the engine subscribed again) and
   * publishes the difference as an ordinary batch, so every client converges without a reset.
   * Timestamps only grow: a snapshot older than the state is published at the state's timestamp.
   */
  replace(snapshot: Batch): PublishedBatch | null {
    const next = new Multiset();
    next.applyAll(snapshot.changes);
    const changes = difference(this.rows, next);
    this.resets += 1;
    return this.apply({
      timestamp: Math.max(snapshot.timestamp, this.timestamp ?? snapshot.timestamp),
      changes,
    });
  }

  /** Called after every batch, an empty one too: the view is complete at `timestamp`. */
  listenProgress(listener: (timestamp: Timestamp) => void): () => void {
    return this.progressListeners.add(listener);
  }

  private publish(batch: Batch): PublishedBatch | null {
    const first = this.timestamp === null;
    const { changes } = batch;
    // Each row is serialized once: the text is its key in the multiset and its part of the fragment.
    const texts = changes.length > 0 ? rowTexts(changes) : null;
    if (texts) this.rows.applyAllAt(changes, texts);
    this.timestamp = batch.timestamp;
    if (first) this.log = new RetentionLog(this.retention, batch.timestamp);
    const previousBase = this.base ?? batch.timestamp;
    if (first) this.base = batch.timestamp;
    if (texts === null) return null;
    this.base = batch.timestamp;
    const published = new Published(this.name, batch, texts, previousBase, this.keyColumns);
    // The previous batch's moment is out by now: it stays in the log as its fragment alone.
    this.latest?.retire();
    this.latest = published;
    if (first) {
      // The first batch is the whole state: stream clients get it as their snapshot, not as a change.
      this.listeners.emitOne(published);
      return null;
    }
    this.log?.append(published);
    if (this.listeners.size > 0) this.listeners.emitOne(published);
    return published;
  }

  /** Moves the timestamp forward without changes (the view is known unchanged up to `timestamp`). */
  advance(timestamp: Timestamp): void {
    if (this.timestamp === null || timestamp <= this.timestamp) return;
    this.timestamp = timestamp;
    if (this.progressListeners.size > 0) this.progressListeners.emitOne(timestamp);
  }

  private state(): StateFrames {
    const timestamp = this.timestamp ?? 0;
    if (this.stateCache?.timestamp !== timestamp) {
      const body = stateBody(timestamp, this.info.columns, this.rows.rows());
      this.stateCache = {
        timestamp,
        body,
        snapshot: Buffer.from(snapshotFrame(this.name, body)),
        // The same bytes as `streamFrameFrom(changesFragment(...))` writes (test/stream-frame-bytes),
        // in one JSON.stringify: 2.5 times faster for a whole state than row by row.
        stream: stringifyJson(toStreamMessage(this.rows.counted(), timestamp)),
        resets: new Map(),
        keyed: new Map(),
      };
    }
    return this.stateCache;
  }

  /** The whole current state as one `/api/stream` message, cached per timestamp. */
  snapshotFrame(): string {
    return this.state().stream;
  }

  /** The `snapshot` frame of the multiplexed protocol, cached per timestamp. */
  subscribeSnapshot(): Buffer {
    return this.state().snapshot;
  }

  /** The `reset` frame of the multiplexed protocol, cached per timestamp and reason. */
  resetFrame(reason: ResetReason): Buffer {
    const state = this.state();
    let frame = state.resets.get(reason);
    if (!frame) state.resets.set(reason, (frame = Buffer.from(resetFrame(this.name, state.body, reason))));
    return frame;
  }

  /** The snapshot (or a reset's) frame for a keyed connection, cached per timestamp. */
  keyedStateFrame(reason: ResetReason | 'snapshot'): Buffer {
    const state = this.state();
    let frame = state.keyed.get(reason);
    if (!frame) {
      const plain = reason === 'snapshot' ? this.subscribeSnapshot() : this.resetFrame(reason);
      frame = Buffer.from(withKeyedState(plain.toString(), this.key, this.base ?? state.timestamp));
      state.keyed.set(reason, frame);
    }
    return frame;
  }

  /**
   * How a client that has this view at `since` reaches the current timestamp: nothing, one net diff
   * merged from the retention log, or a snapshot (when the log no longer reaches back, or when the
   * snapshot is smaller than the diff). Cached per (since, current timestamp), because clients that
   * fell behind together catch up together.
   */
  catchUp(since: Timestamp): CatchUp {
    const now = this.timestamp ?? 0;
    if (since === now) return { kind: 'current' };
    if (since > now) return { kind: 'snapshot', reason: 'since-ahead' };
    if (this.catchUpCacheAt !== now) {
      this.catchUpCache = new Map();
      this.catchUpCacheAt = now;
    }
    let plan = this.catchUpCache.get(since);
    if (!plan) {
      plan = this.planCatchUp(since);
      this.catchUpCache.set(since, plan);
    }
    return plan;
  }

  /**
   * The one way to catch a client up from `since` (every transport and the Postgres-wire feed use
   * it): the batches after `since` from the retention log, oldest first, or a snapshot with its
   * reason when `since` is ahead of the view or the log no longer reaches back to it.
   */
  replayFrom(since: Timestamp): Replay {
    if (since > (this.timestamp ?? 0)) return { kind: 'snapshot', reason: 'since-ahead' };
    const batches = this.log?.since(since);
    return batches ? { kind: 'batches', batches } : { kind: 'snapshot', reason: 'since-not-retained' };
  }

  private planCatchUp(since: Timestamp): CatchUp {
    const replay = this.replayFrom(since);
    if (replay.kind === 'snapshot') return replay;
    const { batches } = replay;
    if (batches.length === 0) return { kind: 'current' };
    const changes: Change[] =
      batches.length === 1
        ? (batches[0] as PublishedBatch).changes
        : consolidate(batches.flatMap((b) => b.changes));
    if (changes.length === 0) return { kind: 'current' };
    const rows = changes.reduce((sum, [, diff]) => sum + Math.abs(diff), 0);
    if (rows > this.rows.size) return { kind: 'snapshot', reason: 'behind' };
    return { kind: 'diff', fragment: changesFragment(changes), rows, changes };
  }

  listen(listener: BatchListener): () => void {
    return this.listeners.add(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}
