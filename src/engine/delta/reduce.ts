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
import type { StateStore } from './interface.js';
import { exactKey } from './row-key.js';

export interface ReduceSpec extends Omit<ReduceStage, 'op' | 'role'> {
  /** The view whose errors these are. */
  view: string;
}

const COUNT_STAR = true;

export class Reduce implements Snapshotting {
  private readonly groups: Map<string, Group>;
  /** Output of a global aggregate created on a new store: its row exists before any input. */
  private readonly initialOutput: Batch = { rows: [], errors: [] };

  constructor(
    readonly id: string,
    private readonly spec: ReduceSpec,
    private readonly store: StateStore,
  ) {
    const outKey = (o: { r: DeltaRow } | { e: GroupOutputError }): string =>
      'r' in o ? exactKey(o.r) : `E${errorKey(o.e)}`;
    this.groups = loadGroups(spec.aggregates, store.entries(id), outKey);
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
    const { keyTypes, aggregates, global } = this.spec;
    const width = keyTypes.length;
    const dirty = new Set<Group>();
    // By entry: a value whose last copy went and came back within the transaction is a new entry,
    // met later, so the store sees the delete and then the set, in that order.
    const dirtyValues = new Map<ValueCount, [number, Group]>();
    for (const [row, diff] of input.rows) {
      let keyStr = '';
      if (!global) keyStr = valuesKey(keyTypes, row, width);
      let group = this.groups.get(keyStr);
      if (!group) {
        group = newGroup(aggregates, row.slice(0, width), keyStr);
        this.groups.set(keyStr, group);
      }
      group.rows += diff;
      for (let i = 0; i < aggregates.length; i++) {
        const spec = aggregates[i] as AggregateSpec;
        if (spec.filter !== null && row[spec.filter] !== true) continue;
        const value = spec.arg === null ? COUNT_STAR : row[spec.arg];
        if (value === null || value === undefined) continue;
        const entry = addValue(spec, group, i, value, diff);
        if (entry && !dirtyValues.has(entry)) dirtyValues.set(entry, [i, group]);
      }
      dirty.add(group);
    }
    const out: Batch = { rows: [], errors: input.errors.slice() };
    for (const group of dirty) this.settle(group, ctx, out);
    for (const [entry, [i, group]] of dirtyValues) {
      const key = valueEntryKey(i, group.keyStr, entry.key);
      if (entry.count === 0) this.store.delete(this.id, key);
      else this.store.set(this.id, key, [i, group.keyStr, entry.value, entry.count]);
    }
    return out;
  }

  /** Re-evaluates a changed group, emits the difference and records its entry. */
  private settle(group: Group, ctx: EvalContext, out: Batch): void {
    const gone = group.rows === 0 && !this.spec.global;
    const next = gone || group.rows < 0 ? null : this.evaluate(group, ctx);
    const before = group.out;
    if (before?.key !== next?.key) {
      if (before) emit(out, before, -1);
      if (next) emit(out, next, 1);
    }
    group.out = next;
    if (gone) {
      this.groups.delete(group.keyStr);
      this.store.delete(this.id, groupEntryKey(group.keyStr));
    } else {
      this.store.set(this.id, groupEntryKey(group.keyStr), storedGroup(group));
    }
  }

  private evaluate(group: Group, ctx: EvalContext): GroupOutput | null {
    const { aggregates, having, output, view } = this.spec;
    try {
      const scope: Value[] = group.key.slice();
      for (let i = 0; i < aggregates.length; i++)
        scope.push(aggregateValue(aggregates[i] as AggregateSpec, group, i));
      if (having && having.eval(scope, ctx) !== true) return null;
      const row: DeltaRow = new Array<unknown>(output.length);
      for (let i = 0; i < output.length; i++) row[i] = (output[i] as CompiledExpr).eval(scope, ctx);
      return { row, key: exactKey(row) };
    } catch (error) {
      const info = errorInfo(view, error);
      return { error: info, key: `E${errorKey(info)}` };
    }
  }

  *contents(): IterableIterator<RowChange> {
    for (const group of this.groups.values())
      if (group.out && 'row' in group.out) yield [group.out.row, 1, group.out.key];
  }
}

type GroupOutputError = Extract<GroupOutput, { error: unknown }>['error'];

function emit(out: Batch, output: GroupOutput, diff: number): void {
  if ('row' in output) out.rows.push([output.row, diff, output.key]);
  else out.errors.push([output.error, diff]);
}
