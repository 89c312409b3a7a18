/**
 * Each view's health as the hub sees it: `ok`; `error` while the engine reports it in error (errors
 * are data: the view's SQL fails on some input it reads) or after a fatal subscription error (a
 * remote view whose columns changed); `reconnecting` while its subscription is lost; `stuck` when it
 * delivered nothing for longer than the bound. A stuck view, or one that failed for good, no longer
 * holds the other views' moments back ("released").
 */
import type { ErrorCode } from '../core/error-codes.js';
import type { Timestamp, ViewErrorInfo } from '../engine/types.js';
import type { Clock } from '../core/clock.js';
import type { IsolatedListeners } from './isolated-listeners.js';

export type ViewStatus =
  | { state: 'ok' }
  | { state: 'error'; code: ErrorCode; errors: ViewErrorInfo[] }
  | { state: 'reconnecting'; reason: string }
  /** `since`: the clock time of the view's last batch; `timestamp`: the last timestamp it reached. */
  | { state: 'stuck'; since: number; timestamp: Timestamp | null };

export type StatusListener = (view: string, status: ViewStatus) => void;

interface Health {
  lastProgressAt: number;
  known: Timestamp | null;
  errors: ViewErrorInfo[];
  failed: { code: ErrorCode; errors: ViewErrorInfo[] } | null;
  reconnecting: string | null;
  /** Silent for longer than the bound: reported stuck. */
  silent: boolean;
  /** No longer holding the other views' moments back. */
  released: boolean;
  status: ViewStatus;
}

const OK: ViewStatus = { state: 'ok' };

export class ViewHealth {
  private readonly views = new Map<string, Health>();
  constructor(
    names: string[],
    private readonly clock: Clock,
    private readonly stuckAfterMs: number,
    private readonly listeners: IsolatedListeners<[string, ViewStatus]>,
  ) {
    const now = clock.now();
    for (const name of names) {
      this.views.set(name, {
        lastProgressAt: now,
        known: null,
        errors: [],
        failed: null,
        reconnecting: null,
        silent: false,
        released: false,
        status: OK,
      });
    }
  }

  private health(view: string): Health {
    const health = this.views.get(view);
    if (!health) throw new Error(`no health record for view "${view}"`);
    return health;
  }

  status(view: string): ViewStatus | undefined {
    return this.views.get(view)?.status;
  }

  statuses(): Record<string, ViewStatus> {
    return Object.fromEntries([...this.views].map(([name, h]) => [name, h.status]));
  }

  /**
   * The view's record, whose `released` says what `released(view)` does: the moment assembler keeps
   * it by view position and reads it several times per transaction without a lookup by name.
   */
  record(view: string): { readonly released: boolean } {
    return this.health(view);
  }

  /** Whether the view no longer holds the others back (stuck past the bound, or failed for good). */
  released(view: string): boolean {
    return this.health(view).released;
  }

  /**
   * The view delivered a batch at `timestamp`, at the clock's `now`. Returns whether it had been
   * released (it comes back).
   */
  progressed(view: string, timestamp: Timestamp, now = this.clock.now()): boolean {
    const health = this.health(view);
    health.lastProgressAt = now;
    health.known = timestamp;
    health.reconnecting = null;
    health.silent = false;
    // A view that was ok stays ok by progressing (the common case: every view, every transaction).
    if (health.status !== OK) this.update(view, health);
    return health.released;
  }

  /** A released view caught up with the published moments: it holds them back again. */
  rejoin(view: string): void {
    this.health(view).released = false;
    this.update(view);
  }

  /** The view's errors as of its latest applied batch (errors are data). */
  setErrors(view: string, errors: ViewErrorInfo[]): void {
    this.health(view).errors = errors;
    this.update(view);
  }

  reconnecting(view: string, reason: string): void {
    this.health(view).reconnecting = reason;
    this.update(view);
  }

  /** The subscription ended for good: the view stays in error and never holds the others back. */
  failed(view: string, code: ErrorCode, errors: ViewErrorInfo[]): void {
    const health = this.health(view);
    health.failed = { code, errors };
    health.released = true;
    this.update(view);
  }

  /**
   * Reports views silent for longer than the bound as stuck, and releases them so that the others'
   * moments go on. When every view is silent (the whole engine paused, e.g. one long transaction)
   * nobody is held back: they are reported, not released, and come back together.
   */
  releaseSilent(): string[] {
    const now = this.clock.now();
    const silent: string[] = [];
    let live = 0;
    for (const [name, health] of this.views) {
      if (health.released) continue;
      if (now - health.lastProgressAt > this.stuckAfterMs) silent.push(name);
      else live++;
    }
    for (const name of silent) {
      this.health(name).silent = true;
      if (live > 0) this.release(name);
      else this.update(name);
    }
    return live > 0 ? silent : [];
  }

  /** Releases a view at once (it holds back more moments than the hub keeps). */
  release(view: string): void {
    this.health(view).released = true;
    this.update(view);
  }

  private update(view: string, health = this.health(view)): void {
    const next = computeStatus(health);
    // `ok` is one shared object: the common case (a healthy view progressed) costs no comparison.
    if (next === health.status || JSON.stringify(next) === JSON.stringify(health.status)) return;
    health.status = next;
    this.listeners.emit(view, next);
  }
}

function computeStatus(health: Health): ViewStatus {
  if (health.failed) return { state: 'error', ...health.failed };
  if (health.reconnecting !== null) return { state: 'reconnecting', reason: health.reconnecting };
  if (health.released || health.silent)
    return { state: 'stuck', since: health.lastProgressAt, timestamp: health.known };
  if (health.errors.length > 0) return { state: 'error', code: 'VIEWCAST_VIEW_ERROR', errors: health.errors };
  return OK;
}

export interface HealthSummary {
  /** Views in error, with the reasons (errors are data, or a subscription that failed for good). */
  error: Array<{ view: string; code: ErrorCode; errors: ViewErrorInfo[] }>;
  stuck: string[];
  reconnecting: string[];
}

/** The views that are not ok, by state: what `/readyz` and `/api/status` report. */
export function summarizeHealth(statuses: Record<string, ViewStatus>): HealthSummary {
  const summary: HealthSummary = { error: [], stuck: [], reconnecting: [] };
  for (const [view, status] of Object.entries(statuses)) {
    if (status.state === 'error') summary.error.push({ view, code: status.code, errors: status.errors });
    else if (status.state === 'stuck') summary.stuck.push(view);
    else if (status.state === 'reconnecting') summary.reconnecting.push(view);
  }
  return summary;
}

/** One line for a reader of a view in error: the view, the reason and the failing value. */
export function describeViewError(view: string, errors: ViewErrorInfo[]): string {
  const reasons = errors.map(
    (e) => `${e.message}${e.value !== undefined ? ` (value ${e.value})` : ''} [SQLSTATE ${e.sqlstate}]`,
  );
  return `view "${view}" is in error: ${reasons.join('; ')}. It recovers when the input that makes it fail goes away.`;
}
