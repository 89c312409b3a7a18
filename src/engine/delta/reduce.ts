/**
 * GROUP BY: groups the input rows by their first `keyTypes.length` columns and keeps each group's
 * aggregates up to date under insertions and retractions (see aggregate-state.ts). After each
 * transaction, every group that changed evaluates HAVING and the select list over its keys and
 * aggregate values, and emits the difference to what it showed before: nothing when the result is
 * the same, a retraction when its last row went away. A global aggregate (no GROUP BY) has exactly
 * one group, present even over no input. An expression that fails makes the group an error for as
 * long as its aggregates have those values.
 */
import type { AggregateSpec, ReduceStage } from '../../sql/planner/delta-plan.js';
import type { CompiledExpr, EvalContext, Value } from '../../sql/scalar/interface.js';
import { valuesKey } from '../../sql/scalar/values.js';
import {
  errorInfo,
  errorKey,
  type Batch,
  type DeltaRow,
  type ErrorChange,
  type RowChange,
  type Snapshotting,
} from './batch.js';
import {
  addValue,
  aggregateValue,
  groupEntryKey,
  loadGroups,
  newGroup,
  storedGroup,
  valueEntryKey,
  type Group,
  type GroupOutput,
  type StoredValue,
  type ValueCount,
} from './aggregate-state.js';
import { groupLookup, lookupKey, type GroupLookup } from './group-lookup.js';
import type { StateStore } from './interface.js';
import type { MapFilter } from './map-filter.js';
import { exactKey, sameRow } from './row-key.js';

export interface ReduceSpec extends Omit<ReduceStage, 'op' | 'role'> {
  /** The view whose errors these are. */
  view: string;
}

const COUNT_STAR = true;

export class Reduce implements Snapshotting {
  /** Groups by their lookup key (group-lookup.ts), not by their store key: no string per row. */
  private readonly groups = new Map<unknown, Group>();
  private readonly lookup: GroupLookup;
  /** Output of a global aggregate created on a new store: its row exists before any input. */
  private readonly initialOutput: Batch = { rows: [], errors: [] };
  /** Groups changed by the current transaction, in the order they were first met. */
  private readonly changed: Group[] = [];
  /** The number of the current transaction (Group.stamp). */
  private stamp = 0;
  /**
   * Value entries changed by the current transaction, with their aggregate and group, by entry: a
   * value whose last copy went and came back within the transaction is a new entry, met later, so
   * the store sees the delete and then the set, in that order.
   */
  private readonly changedValues: ValueCount[] = [];
  private readonly changedValueAggregates: number[] = [];
  private readonly changedValueGroups: Group[] = [];
  /** HAVING's and the select list's input, reused: [...group key, ...aggregate values]. */
  private readonly scope: Value[];
  /**
   * Whether output rows carry their exactKey: only when something downstream finds rows by key (a
   * top-k, a view over this one). A view's own output is consolidated without keys when it can
   * be (see `distinctRows`), and a change is told from no change by comparing the rows.
   */
  private keyed = false;
  /**
   * Two groups never show the same row: every group key column is an output column as it is. The
   * changes of one transaction are then already consolidated (a group emits a row at most once).
   */
  readonly distinctRows: boolean;

  constructor(
    readonly id: string,
    private readonly spec: ReduceSpec,
    private readonly store: StateStore,
  ) {
    this.lookup = groupLookup(spec.keyTypes, spec.global);
    this.scope = new Array<Value>(spec.keyTypes.length + spec.aggregates.length).fill(null);
    const shown = new Set(spec.output.map((o) => o.column));
    this.distinctRows = spec.global || spec.keyTypes.every((_, i) => shown.has(i));
    // Row keys are made by `keyRows`, if something downstream wants them.
    const outKey = (o: GroupOutput): string | null => ('r' in o ? null : `E${errorKey(o.e)}`);
    for (const group of loadGroups(spec.aggregates, store.entries(id), outKey).values())
      this.groups.set(this.lookupOf(group), group);
    if (spec.global && !this.groups.has('')) {
      const group = newGroup(spec.aggregates, [], '');
      this.groups.set('', group);
      this.settle(group, { timestamp: 0 }, this.initialOutput);
    }
  }

  /** Output rows from now on carry their exactKey (something downstream finds rows by key). */
  keyRows(): void {
    this.keyed = true;
    for (const group of this.groups.values())
      if (group.out && 'r' in group.out) group.outKey = exactKey(group.out.r);
  }

  /** Changes made at construction (a global aggregate's first row), for the views downstream. */
  initial(): Batch {
    return this.initialOutput;
  }

  apply(input: Batch, ctx: EvalContext): Batch {
    this.stamp += 1;
    for (const change of input.rows) this.step(change[0], change[1]);
    return this.end(input.errors.slice(), ctx);
  }

  /** `apply` over what `map` makes of `input`, without a row per input row (map-filter.ts). */
  applyMapped(map: MapFilter, input: Batch, ctx: EvalContext): Batch {
    this.stamp += 1;
    const errors = input.errors.slice();
    map.forEach(input, ctx, errors, this.stepper);
    return this.end(errors, ctx);
  }

  private readonly stepper = (row: DeltaRow, diff: number): void => this.step(row, diff);

  /** Adds `diff` copies of `row` to its group. Keeps nothing of `row` but values (it may be reused). */
  private step(row: DeltaRow, diff: number): void {
    const { keyTypes, aggregates } = this.spec;
    const lookup = this.lookup;
    const at = lookupKey(lookup, keyTypes, row);
    let group = this.groups.get(at);
    if (!group) {
      const width = keyTypes.length;
      const keyStr = lookup === 'string' ? (at as string) : valuesKey(keyTypes, row, width);
      group = newGroup(aggregates, row.slice(0, width), keyStr);
      this.groups.set(at, group);
    }
    group.rows += diff;
    const stamp = this.stamp;
    for (let i = 0; i < aggregates.length; i++) {
      const spec = aggregates[i] as AggregateSpec;
      if (spec.filter !== null && row[spec.filter] !== true) continue;
      const value = spec.arg === null ? COUNT_STAR : row[spec.arg];
      if (value === null || value === undefined) continue;
      const entry = addValue(spec, group, i, value, diff);
      if (entry && entry.stamp !== stamp) {
        entry.stamp = stamp;
        this.changedValues.push(entry);
        this.changedValueAggregates.push(i);
        this.changedValueGroups.push(group);
      }
    }
    if (group.stamp !== stamp) {
      group.stamp = stamp;
      this.changed.push(group);
    }
  }

  /** Settles the changed groups and writes the changed value entries: the transaction's output. */
  private end(errors: ErrorChange[], ctx: EvalContext): Batch {
    const out: Batch = { rows: [], errors };
    const changed = this.changed;
    for (const group of changed) this.settle(group, ctx, out);
    changed.length = 0;
    const values = this.changedValues;
    for (let v = 0; v < values.length; v++) {
      const entry = values[v] as ValueCount;
      const i = this.changedValueAggregates[v] as number;
      const keyStr = (this.changedValueGroups[v] as Group).keyStr;
      const key = valueEntryKey(i, keyStr, entry.key);
      if (entry.count === 0) this.store.delete(this.id, key);
      else this.store.set(this.id, key, [i, keyStr, entry.value, entry.count] satisfies StoredValue);
    }
    values.length = this.changedValueAggregates.length = this.changedValueGroups.length = 0;
    return out;
  }

  private lookupOf(group: Group): unknown {
    return this.lookup === 'string' ? group.keyStr : lookupKey(this.lookup, this.spec.keyTypes, group.key);
  }

  /** Re-evaluates a changed group, emits the difference and records its entry. */
  private settle(group: Group, ctx: EvalContext, out: Batch): void {
    const gone = group.rows === 0 && !this.spec.global;
    const before = group.out;
    const beforeKey = group.outKey;
    if (gone || group.rows < 0) {
      group.out = null;
      group.outKey = null;
    } else this.evaluate(group, ctx);
    if (!sameOutput(before, beforeKey, group.out, group.outKey)) {
      if (before) emit(out, before, beforeKey, -1);
      if (group.out) emit(out, group.out, group.outKey, 1);
    }
    if (gone) {
      this.groups.delete(this.lookupOf(group));
      this.store.delete(this.id, groupEntryKey(group.keyStr));
    } else {
      this.store.set(this.id, groupEntryKey(group.keyStr), storedGroup(group));
    }
  }

  /** Sets the group's output (and its key) from its aggregates; null when HAVING is not true. */
  private evaluate(group: Group, ctx: EvalContext): void {
    const { aggregates, having, output, view } = this.spec;
    const scope = this.scope;
    try {
      const key = group.key;
      const width = key.length;
      for (let i = 0; i < width; i++) scope[i] = key[i] as Value;
      for (let i = 0; i < aggregates.length; i++)
        scope[width + i] = aggregateValue(aggregates[i] as AggregateSpec, group, i);
      if (having && having.eval(scope, ctx) !== true) {
        group.out = null;
        group.outKey = null;
        return;
      }
      const row: DeltaRow = new Array<unknown>(output.length);
      for (let i = 0; i < output.length; i++) row[i] = (output[i] as CompiledExpr).eval(scope, ctx);
      group.out = { r: row };
      group.outKey = this.keyed ? exactKey(row) : null;
    } catch (error) {
      const info = errorInfo(view, error);
      group.out = { e: info };
      group.outKey = `E${errorKey(info)}`;
    }
  }

  *contents(): IterableIterator<RowChange> {
    for (const group of this.groups.values())
      if (group.out && 'r' in group.out)
        yield group.outKey === null ? [group.out.r, 1] : [group.out.r, 1, group.outKey];
  }
}

function emit(out: Batch, output: GroupOutput, key: string | null, diff: number): void {
  if ('r' in output) out.rows.push(key === null ? [output.r, diff] : [output.r, diff, key]);
  else out.errors.push([output.e, diff]);
}

/** Whether a group shows the same as before (rows without keys are compared by value). */
function sameOutput(
  before: GroupOutput | null,
  beforeKey: string | null,
  after: GroupOutput | null,
  afterKey: string | null,
): boolean {
  if (before === null || after === null) return before === after;
  if ('r' in before && 'r' in after && (beforeKey === null || afterKey === null))
    return sameRow(before.r, after.r);
  return beforeKey === afterKey;
}
