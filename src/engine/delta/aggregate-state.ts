/**
 * The state of one group of a reduce: its row count, an accumulator per accumulable aggregate
 * (count, sum, avg: a retraction steps with a negative diff), and per hierarchical aggregate (min,
 * max) and per DISTINCT aggregate the multiset of its argument's values, ordered for min/max. A
 * DISTINCT accumulator steps only when a value's count goes from 0 to positive or back. A group's
 * state is plain data in the StateStore: the group entry, and one entry per distinct value.
 */
import type { AggregateSpec } from '../../sql/planner/delta-plan.js';
import type { SqlType, Value } from '../../sql/scalar/interface.js';
import { compareValues, valueKey } from '../../sql/scalar/values.js';
import type { DeltaRow, ErrorChange } from './batch.js';
import { SortedList } from './sorted-list.js';

function hasValues(spec: AggregateSpec): boolean {
  return spec.kind === 'hierarchical' || spec.distinct;
}

/** A distinct value of an aggregate's argument in a group, and how many rows hold it. */
export interface ValueCount {
  value: Value;
  key: string;
  count: number;
  /** The reduce's transaction number when the count last changed (Group.stamp). */
  stamp: number;
}

/**
 * What a group shows, in the form its store entry holds it: a row, an error (its expressions
 * failed), or nothing (null: HAVING).
 */
export type GroupOutput = { r: DeltaRow } | { e: ErrorChange[0] };

export interface Group {
  key: Value[];
  keyStr: string;
  rows: number;
  accs: unknown[];
  nonNull: number[];
  /** Per aggregate with a value multiset (hierarchical, DISTINCT): value key -> count. */
  values: Array<Map<string, ValueCount> | null>;
  /** Per hierarchical aggregate: the same values in order. */
  ordered: Array<SortedList<ValueCount> | null>;
  out: GroupOutput | null;
  /**
   * The exactKey of `out` (`E` and the errorKey for an error); null without `out`, or for a row
   * when the reduce keeps no row keys (reduce.ts, `keyed`).
   */
  outKey: string | null;
  /** The reduce's transaction number when the group last changed: its changed list holds it once. */
  stamp: number;
  /**
   * The group's store entry, kept up to date in place (`sync`) and handed to the store on every
   * change: the store encodes entries at commit, so no copy is made per change.
   */
  stored: StoredGroup;
}

export function newGroup(aggregates: AggregateSpec[], key: Value[], keyStr: string): Group {
  const accs = aggregates.map((a) => (a.kind === 'accumulable' ? a.def.zero() : null));
  const nonNull = aggregates.map(() => 0);
  const withValues = aggregates.some(hasValues);
  return {
    key,
    keyStr,
    rows: 0,
    accs,
    nonNull,
    values: withValues ? aggregates.map((a) => (hasValues(a) ? new Map() : null)) : noValuesOf(aggregates),
    ordered: aggregates.some((a) => a.kind === 'hierarchical')
      ? aggregates.map((a) => (a.kind === 'hierarchical' ? orderedValues(a.argType) : null))
      : noValuesOf(aggregates),
    out: null,
    outKey: null,
    stamp: 0,
    stored: { k: key, n: 0, a: accs, c: nonNull, o: null },
  };
}

/** The value arrays of the groups whose aggregates keep no values: one per reduce, never written. */
const sharedNoValues = new WeakMap<AggregateSpec[], Array<null>>();

function noValuesOf(aggregates: AggregateSpec[]): Array<null> {
  let shared = sharedNoValues.get(aggregates);
  if (!shared) sharedNoValues.set(aggregates, (shared = aggregates.map(() => null)));
  return shared;
}

function orderedValues(type: SqlType, items: ValueCount[] = []): SortedList<ValueCount> {
  const compare = (a: ValueCount, b: ValueCount): number => compareValues(type, a.value, b.value);
  return SortedList.fromSorted(compare, items.sort(compare));
}

/**
 * Adds `diff` copies of `value` to aggregate `i` of `group`. Returns the changed value entry (for
 * the store) of an aggregate with a value multiset, else null.
 */
export function addValue(
  spec: AggregateSpec,
  group: Group,
  i: number,
  value: Value,
  diff: number,
): ValueCount | null {
  const values = group.values[i];
  if (!values) {
    (group.nonNull[i] as number) += diff;
    if (spec.kind === 'accumulable') group.accs[i] = spec.def.step(group.accs[i], value, diff);
    return null;
  }
  const key = valueKey(spec.argType, value);
  let entry = values.get(key);
  if (!entry) values.set(key, (entry = { value, key, count: 0, stamp: 0 }));
  const before = entry.count;
  entry.count += diff;
  const ordered = group.ordered[i];
  // +1 when the value appears, -1 when its last copy goes: what DISTINCT aggregates see.
  const step = before <= 0 && entry.count > 0 ? 1 : before > 0 && entry.count <= 0 ? -1 : 0;
  if (step !== 0) {
    (group.nonNull[i] as number) += step;
    if (ordered) {
      if (step > 0) ordered.insert(entry);
      else ordered.delete(entry);
    } else if (spec.kind === 'accumulable') {
      group.accs[i] = spec.def.step(group.accs[i], entry.value, step);
    }
  }
  if (entry.count === 0) values.delete(key);
  return entry;
}

/** The aggregate's current value. May throw SqlEvalError (an overflowing sum). */
export function aggregateValue(spec: AggregateSpec, group: Group, i: number): Value {
  switch (spec.kind) {
    case 'accumulable':
      return spec.def.finish(group.accs[i], group.nonNull[i] ?? 0);
    case 'hierarchical': {
      const ordered = group.ordered[i];
      const entry = spec.max ? ordered?.last() : ordered?.first();
      return entry ? entry.value : null;
    }
  }
}

/** Store entries: one per group, one per distinct value of an aggregate with a value multiset. */
export function groupEntryKey(keyStr: string): string {
  return `g${keyStr}`;
}

/** `v` and the JSON of `[i, keyStr, valueKeyStr]`, written without building the array. */
export function valueEntryKey(i: number, keyStr: string, valueKeyStr: string): string {
  return `v[${i},${JSON.stringify(keyStr)},${JSON.stringify(valueKeyStr)}]`;
}

export interface StoredGroup {
  k: Value[];
  n: number;
  a: unknown[];
  c: number[];
  o: GroupOutput | null;
}

export type StoredValue = [aggregate: number, keyStr: string, value: Value, count: number];

/** The group's store entry, brought up to date. */
export function storedGroup(group: Group): StoredGroup {
  const stored = group.stored;
  stored.n = group.rows;
  stored.o = group.out;
  return stored;
}

/** Rebuilds the groups from the store's entries (in any order). */
export function loadGroups(
  aggregates: AggregateSpec[],
  entries: Iterable<[string, unknown]>,
  outKey: (out: GroupOutput) => string | null,
): Map<string, Group> {
  const groups = new Map<string, Group>();
  const values: StoredValue[] = [];
  for (const [key, value] of entries) {
    if (key.startsWith('v')) {
      values.push(value as StoredValue);
      continue;
    }
    const stored = value as StoredGroup;
    const keyStr = key.slice(1); // the entry's key is groupEntryKey(keyStr)
    const group = newGroup(aggregates, stored.k, keyStr);
    group.rows = stored.n;
    // Copies: the entry the store gave may be the one it still holds (the in-memory store).
    group.accs = stored.a.slice();
    group.nonNull = stored.c.slice();
    group.stored = { k: stored.k, n: stored.n, a: group.accs, c: group.nonNull, o: stored.o };
    group.out = stored.o;
    group.outKey = stored.o === null ? null : outKey(stored.o);
    groups.set(keyStr, group);
  }
  const perAggregate = new Map<Group, ValueCount[][]>();
  for (const [i, keyStr, value, count] of values) {
    const group = groups.get(keyStr);
    const spec = aggregates[i];
    if (!group || !spec || !hasValues(spec)) continue;
    const entry: ValueCount = { value, key: valueKey(spec.argType, value), count, stamp: 0 };
    group.values[i]?.set(entry.key, entry);
    let lists = perAggregate.get(group);
    if (!lists) perAggregate.set(group, (lists = aggregates.map(() => [])));
    if (count > 0) lists[i]?.push(entry);
  }
  for (const [group, lists] of perAggregate) {
    lists.forEach((items, i) => {
      const spec = aggregates[i];
      if (spec?.kind === 'hierarchical') group.ordered[i] = orderedValues(spec.argType, items);
    });
  }
  return groups;
}
