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
  type ValueCount,
} from './aggregate-state.js';
import { groupLookup, lookupKey, type GroupLookup } from './group-lookup.js';
import type { StateStore } from './interface.js';
import { exactKey } from './row-key.js';

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
  private transactions = 0;
  /** HAVING's and the select list's input, reused: [...group key, ...aggregate values]. */
  private readonly scope: Value[];
  /** Whether some aggregate keeps a multiset of values (min, max, DISTINCT). */
  private readonly withValues: boolean;

  constructor(
    readonly id: string,
    private readonly spec: ReduceSpec,
    private readonly store: StateStore,
  ) {
    this.lookup = groupLookup(spec.keyTypes, spec.global);
    this.scope = new Array<Value>(spec.keyTypes.length + spec.aggregates.length).fill(null);
    this.withValues = spec.aggregates.some((a) => a.kind === 'hierarchical' || a.distinct);
    const outKey = (o: GroupOutput): string => ('r' in o ? exactKey(o.r) : `E${errorKey(o.e)}`);
    for (const group of loadGroups(spec.aggregates, store.entries(id), outKey).values())
      this.groups.set(this.lookupOf(group), group);
    if (spec.global && !this.groups.has('')) {
      const group = newGroup(spec.aggregates, [], '');
      this.groups.set('', group);
      this.settle(group, { timestamp: 0 }, this.initialOutput);
    }
  }

  /** Changes made at construction (a global aggregate's first row), for the views downstream. */
  initial(): Batch {
    return this.initialOutput;
  }

  apply(input: Batch, ctx: EvalContext): Batch {
    const { keyTypes, aggregates } = this.spec;
    const width = keyTypes.length;
    const { groups, lookup, changed } = this;
    const stamp = ++this.transactions;
    // By entry: a value whose last copy went and came back within the transaction is a new entry,
    // met later, so the store sees the delete and then the set, in that order.
    const dirtyValues = this.withValues ? new Map<ValueCount, [number, Group]>() : null;
    for (const change of input.rows) {
      const row = change[0];
      const diff = change[1];
      const at = lookupKey(lookup, keyTypes, row);
      let group = groups.get(at);
      if (!group) {
        const keyStr = lookup === 'string' ? (at as string) : valuesKey(keyTypes, row, width);
        group = newGroup(aggregates, row.slice(0, width), keyStr);
        groups.set(at, group);
      }
      group.rows += diff;
      for (let i = 0; i < aggregates.length; i++) {
        const spec = aggregates[i] as AggregateSpec;
        if (spec.filter !== null && row[spec.filter] !== true) continue;
        const value = spec.arg === null ? COUNT_STAR : row[spec.arg];
        if (value === null || value === undefined) continue;
        const entry = addValue(spec, group, i, value, diff);
        if (entry && dirtyValues && !dirtyValues.has(entry)) dirtyValues.set(entry, [i, group]);
      }
      if (group.stamp !== stamp) {
        group.stamp = stamp;
        changed.push(group);
      }
    }
    const out: Batch = { rows: [], errors: input.errors.slice() };
    for (const group of changed) this.settle(group, ctx, out);
    changed.length = 0;
    if (dirtyValues) {
      for (const [entry, [i, group]] of dirtyValues) {
        const key = valueEntryKey(i, group.keyStr, entry.key);
        if (entry.count === 0) this.store.delete(this.id, key);
        else this.store.set(this.id, key, [i, group.keyStr, entry.value, entry.count]);
      }
    }
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
    if (beforeKey !== group.outKey) {
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
      group.outKey = exactKey(row);
    } catch (error) {
      const info = errorInfo(view, error);
      group.out = { e: info };
      group.outKey = `E${errorKey(info)}`;
    }
  }

  *contents(): IterableIterator<RowChange> {
    for (const group of this.groups.values())
      if (group.out && 'r' in group.out) yield [group.out.r, 1, group.outKey as string];
  }
}

function emit(out: Batch, output: GroupOutput, key: string | null, diff: number): void {
  if ('r' in output) out.rows.push([output.r, diff, key as string]);
  else out.errors.push([output.e, diff]);
}
