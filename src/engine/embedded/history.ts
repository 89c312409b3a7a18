/**
 * A bounded history of recent transactions, kept so that `SUBSCRIBE ... AS OF T` can be answered:
 * the state at T is the current state minus every change committed after T, and those same changes
 * then follow at their own timestamps. Old transactions are dropped by age, by count and by the rows
 * they changed, so memory stays bounded at any ingest rate; `floor` is the oldest timestamp the
 * history still reaches back to.
 */
import { Multiset, type Change } from '../../core/multiset.js';
import type { Timestamp } from '../types.js';
import type { CommitResult } from './protocol.js';

export interface HistoryLimits {
  /** Transactions older than this many milliseconds are dropped (default 60,000). */
  maxAgeMs: number;
  /** At most this many transactions are kept (default 10,000). */
  maxCommits: number;
  /** At most about this many changed rows, over all views, are kept (default 200,000). */
  maxRows: number;
}

export const HISTORY_DEFAULTS: HistoryLimits = { maxAgeMs: 60_000, maxCommits: 10_000, maxRows: 200_000 };

function rowsIn(commit: CommitResult): number {
  let n = 0;
  for (const view of commit.views) n += view.changes.length;
  return n;
}

export class CommitHistory {
  private commits: CommitResult[] = [];
  private rows = 0;
  /** Every commit after `floor` is in the history: AS OF works for any T >= floor. */
  floor: Timestamp;
  /** While > 0, nothing is dropped: a subscription is between its snapshot request and reply. */
  private pins = 0;

  constructor(
    start: Timestamp,
    private readonly limits: HistoryLimits,
  ) {
    this.floor = start;
  }

  add(commit: CommitResult): void {
    this.commits.push(commit);
    this.rows += rowsIn(commit);
    if (this.pins > 0) return;
    const oldest = commit.timestamp - this.limits.maxAgeMs;
    let drop = 0;
    while (
      drop < this.commits.length &&
      (this.commits.length - drop > this.limits.maxCommits ||
        this.rows > this.limits.maxRows ||
        (this.commits[drop]?.timestamp ?? 0) < oldest)
    ) {
      this.rows -= rowsIn(this.commits[drop] as CommitResult);
      drop++;
    }
    if (drop > 0) {
      this.floor = this.commits[drop - 1]?.timestamp ?? this.floor;
      this.commits = this.commits.slice(drop);
    }
  }

  pin(): () => void {
    this.pins++;
    let released = false;
    return () => {
      if (!released) this.pins--;
      released = true;
    };
  }

  /** The commits after `since`, oldest first. */
  after(since: Timestamp): CommitResult[] {
    return this.commits.filter((c) => c.timestamp > since);
  }

  /** Rolls `rows` (a view's state at the newest commit) back to its state at `asOf`. */
  rollBack(view: string, rows: Iterable<Change>, asOf: Timestamp): Multiset {
    const state = new Multiset();
    state.applyAll(rows);
    for (const commit of this.after(asOf)) {
      for (const [row, diff] of commit.views.find((v) => v.view === view)?.changes ?? [])
        state.apply(row, -diff);
    }
    return state;
  }
}
