/**
 * One client's SUBSCRIBE, fed from the hub's state of a view: a progress row at the AS OF
 * timestamp, the snapshot at that timestamp, then every batch as data rows at its timestamp and a
 * progress row after it. AS OF may lie in the future (the feed waits for it) or in the past as far
 * as the hub's retention log reaches back (the later batches are replayed at their timestamps). Rows wait in a queue until the session sends them (COPY, Execute, FETCH).
 */
import { consolidate, type Change, type Row } from '../core/multiset.js';
import type { Timestamp } from '../engine/types.js';
import type { ViewChannel } from '../hub/view-channel.js';
import { canceled, PgError, SQLSTATE } from './pg-error.js';
import type { SubscribeStatement } from './sql-ast.js';

export type FeedRow =
  | { progressed: true; timestamp: Timestamp }
  | { progressed: false; timestamp: Timestamp; diff: number; row: Row };

/** Rows a client may leave unread before its subscription is ended (it fell too far behind). */
export const MAX_QUEUED_ROWS = 1_000_000;

export class SubscriptionFeed {
  private queue: FeedRow[] = [];
  private head = 0;
  private started = false;
  private lastProgress: Timestamp = -1;
  private readonly asOf: Timestamp;
  private failure: PgError | null = null;
  private wake: (() => void) | null = null;
  private readonly stops: Array<() => void> = [];

  constructor(
    private readonly channel: ViewChannel,
    private readonly spec: SubscribeStatement,
  ) {
    const current = channel.timestamp ?? 0;
    this.asOf = resolveAsOf(spec, current, channel.retained?.horizon ?? current);
    this.stops.push(
      channel.listen((batch) => this.onBatch(batch.timestamp, batch.changes)),
      channel.listenProgress((timestamp) => this.onProgress(timestamp)),
    );
    if (this.asOf === current) this.start(channel.rows.counted());
    else if (this.asOf < current) this.replay(current);
  }

  /**
   * AS OF an earlier timestamp that the hub's retention log still reaches: the state at AS OF (the
   * current state without the later batches), then every later batch at its own timestamp.
   */
  private replay(current: Timestamp): void {
    const replay = this.channel.replayFrom(this.asOf);
    const later = replay.kind === 'batches' ? replay.batches : [];
    const undo = consolidate(later.flatMap((b) => b.changes)).map(([r, d]): Change => [r, -d]);
    this.start(consolidate([...this.channel.rows.counted(), ...undo]));
    for (const batch of later) {
      for (const [row, diff] of batch.changes)
        this.push({ progressed: false, timestamp: batch.timestamp, diff, row });
      this.pushProgress(batch.timestamp + 1);
    }
    this.pushProgress(current + 1);
  }

  get columns(): number {
    return this.channel.info.columns.length;
  }

  /**
   * Waits until rows are ready (or `deadline`, a Date.now() value, passes), then returns at most
   * `max` of the rows ready at that moment. Like Materialize's FETCH: wait for the first rows only.
   */
  async next(max: number, deadline: number | null, signal: AbortSignal): Promise<FeedRow[]> {
    while (this.ready === 0) {
      if (this.failure) throw this.failure;
      if (signal.aborted) throw canceled();
      if (deadline !== null && Date.now() >= deadline) return [];
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          this.wake = null;
          resolve();
        };
        const timer = deadline === null ? undefined : setTimeout(done, Math.max(0, deadline - Date.now()));
        signal.addEventListener('abort', done);
        this.wake = done;
      });
    }
    if (this.failure) throw this.failure;
    return this.take(max);
  }

  /** Rows ready now, without waiting. */
  take(max: number): FeedRow[] {
    const end = Math.min(this.queue.length, this.head + max);
    const rows = this.queue.slice(this.head, end);
    this.head = end;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    return rows;
  }

  get ready(): number {
    return this.queue.length - this.head;
  }

  /** Ends the subscription with `error` (its view went into error): the reader gets it next. */
  fail(error: PgError): void {
    if (this.failure) return;
    this.failure = error;
    this.close();
    this.signal();
  }

  close(): void {
    for (const stop of this.stops.splice(0)) stop();
    this.queue = [];
    this.head = 0;
  }

  private start(snapshot: Iterable<Change>): void {
    this.started = true;
    this.pushProgress(this.asOf);
    if (this.spec.snapshot) {
      for (const [row, diff] of snapshot) this.push({ progressed: false, timestamp: this.asOf, diff, row });
    }
    this.pushProgress(this.asOf + 1);
  }

  private onBatch(timestamp: Timestamp, changes: Change[]): void {
    if (!this.started) {
      if (timestamp <= this.asOf) return;
      // The hub has applied this batch already: the state at AS OF is the current one without it.
      const before = consolidate([
        ...this.channel.rows.counted(),
        ...changes.map(([r, d]): Change => [r, -d]),
      ]);
      this.start(before);
    }
    for (const [row, diff] of changes) this.push({ progressed: false, timestamp, diff, row });
  }

  private onProgress(timestamp: Timestamp): void {
    if (!this.started) {
      if (timestamp < this.asOf) return;
      this.start(this.channel.rows.counted());
    }
    this.pushProgress(timestamp + 1);
  }

  private pushProgress(timestamp: Timestamp): void {
    if (timestamp <= this.lastProgress) return;
    this.lastProgress = timestamp;
    if (this.spec.progress) this.push({ progressed: true, timestamp });
    else this.signal();
  }

  private push(row: FeedRow): void {
    if (this.failure) return;
    if (this.ready >= MAX_QUEUED_ROWS) {
      this.failure = new PgError(
        SQLSTATE.programLimitExceeded,
        `the client fell more than ${MAX_QUEUED_ROWS} rows behind its subscription to ${this.channel.name}`,
        {
          hint: 'read the subscription faster (FETCH more often), or subscribe again to start from a snapshot.',
        },
      );
      this.close();
    } else {
      this.queue.push(row);
    }
    this.signal();
  }

  private signal(): void {
    this.wake?.();
  }
}

function resolveAsOf(spec: SubscribeStatement, current: Timestamp, horizon: Timestamp): Timestamp {
  if (spec.asOf === null) return current;
  if (spec.asOf > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new PgError(
      SQLSTATE.invalidParameterValue,
      `AS OF ${spec.asOf} is beyond any timestamp this server reaches`,
    );
  }
  const asOf = Number(spec.asOf);
  const earliest = Math.min(horizon, current);
  if (asOf < earliest) {
    throw new PgError(
      SQLSTATE.invalidParameterValue,
      `Timestamp (${asOf}) is not valid for ${spec.view}: the earliest it can be read at is ${earliest}`,
      {
        hint: 'the history of a view is kept for its most recent batches only: use a later AS OF, or leave AS OF out.',
      },
    );
  }
  return asOf;
}
