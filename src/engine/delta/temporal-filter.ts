/**
 * The temporal filter (`mz_now()`): each row is in the output from the time its window
 * opens until the time it closes, as Materialize does it. A change (row, diff) arriving at
 * transaction time T with window [from, until) is emitted at max(T, from) and its negation at
 * `until`; a change whose window closed before T is dropped. What is not due yet waits in a queue
 * keyed by time (consolidated per row, so an upstream retraction cancels a pending insertion), kept
 * in the StateStore; every transaction and every tick of the engine's clock emits what is due. Memory
 * holds the rows inside their windows (and those whose window has not opened), never history.
 */
import type { TemporalBound, TemporalStage } from '../../sql/planner/temporal-filter.js';
import type { EvalContext } from '../../sql/scalar/interface.js';
import { errorInfo, type Batch, type DeltaRow, type Operator, type RowChange } from './batch.js';
import type { StateStore } from './interface.js';
import { exactKey } from './row-key.js';

type Pending = [time: number, row: DeltaRow, diff: number];

export class TemporalFilter implements Operator {
  /** time -> row key -> pending change. */
  private readonly queue = new Map<number, Map<string, Pending>>();
  /** The queue's times, ascending. */
  private times: number[] = [];
  /** The window of the row `window` looked at last. */
  private from = -Infinity;
  private until = Infinity;

  constructor(
    readonly id: string,
    private readonly view: string,
    private readonly stage: TemporalStage,
    private readonly store: StateStore,
  ) {
    for (const [key, value] of store.entries(id)) {
      const pending = value as Pending;
      this.slot(pending[0]).set(key.slice(key.indexOf('|') + 1), pending);
    }
  }

  /** True when some change is due at `timestamp`: the engine must run the view then. */
  due(timestamp: number): boolean {
    const first = this.times[0];
    return first !== undefined && first <= timestamp;
  }

  /** The earliest time at which something is due, or null. */
  next(): number | null {
    return this.times[0] ?? null;
  }

  /** Number of pending changes (what the operator holds in memory). */
  get size(): number {
    let n = 0;
    for (const entries of this.queue.values()) n += entries.size;
    return n;
  }

  apply(input: Batch, ctx: EvalContext): Batch {
    const now = ctx.timestamp;
    const rows: RowChange[] = [];
    const errors = input.errors.slice();
    for (const change of input.rows) {
      const [row, diff] = change;
      try {
        if (!this.window(row, ctx)) continue;
      } catch (error) {
        errors.push([errorInfo(this.view, error), diff]);
        continue;
      }
      const { from, until } = this;
      if (from >= until || until <= now) continue;
      if (from <= now) rows.push(change);
      else this.schedule(from, row, diff, change[2]);
      if (until !== Infinity) this.schedule(until, row, -diff, change[2]);
    }
    while (this.due(now)) {
      const time = this.times.shift() as number;
      const entries = this.queue.get(time);
      this.queue.delete(time);
      for (const [key, [, row, diff]] of entries ?? []) {
        rows.push([row, diff, key]);
        this.store.delete(this.id, `${time}|${key}`);
      }
    }
    return { rows, errors };
  }

  /**
   * Sets [from, until) in milliseconds for the row; false when a bound is NULL (the comparison is
   * not true). Fields rather than a returned pair: this runs for every input row.
   */
  private window(row: DeltaRow, ctx: EvalContext): boolean {
    let from = -Infinity;
    let until = Infinity;
    for (const bound of this.stage.bounds as TemporalBound[]) {
      const ms = bound.millis(bound.expr.eval(row, ctx));
      if (ms === null || Number.isNaN(ms)) return false;
      if (bound.side === 'lower') from = Math.max(from, bound.strict ? ms + 1 : ms);
      else until = Math.min(until, bound.strict ? ms : ms + 1);
    }
    this.from = from;
    this.until = until;
    return true;
  }

  private schedule(time: number, row: DeltaRow, diff: number, known: string | undefined): void {
    const key = known ?? exactKey(row);
    const entries = this.slot(time);
    const held = entries.get(key);
    const sum = (held?.[2] ?? 0) + diff;
    if (sum === 0) {
      entries.delete(key);
      this.store.delete(this.id, `${time}|${key}`);
      if (entries.size === 0) this.unslot(time);
      return;
    }
    const pending: Pending = [time, row, sum];
    entries.set(key, pending);
    this.store.set(this.id, `${time}|${key}`, pending);
  }

  private slot(time: number): Map<string, Pending> {
    let entries = this.queue.get(time);
    if (entries) return entries;
    this.queue.set(time, (entries = new Map()));
    // Binary search: times are mostly appended (windows close in arrival order).
    let lo = 0;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.times[mid] as number) < time) lo = mid + 1;
      else hi = mid;
    }
    this.times.splice(lo, 0, time);
    return entries;
  }

  private unslot(time: number): void {
    this.queue.delete(time);
    const at = this.times.indexOf(time);
    if (at >= 0) this.times.splice(at, 1);
  }
}
