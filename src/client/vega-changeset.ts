/**
 * Turns a batch into the removals and insertions of a Vega changeset. Removals match data by value
 * with multiset semantics: each deleted row removes exactly one equal datum, so two equal rows with
 * one deleted leave one (the original demo matched by object identity and never removed anything).
 */
import { rowKey, type Row } from '../core/multiset.js';

export type Datum = Record<string, unknown>;

export function rowToDatum(columns: string[], row: Row): Datum {
  const datum: Datum = {};
  columns.forEach((column, i) => (datum[column] = row[i] ?? null));
  return datum;
}

export interface ChangesetParts {
  /** Existing datum objects to remove (the very objects Vega holds). */
  remove: Datum[];
  insert: Datum[];
}

export function changesetParts(
  columns: string[],
  current: readonly Datum[],
  inserted: Row[],
  deleted: Row[],
): ChangesetParts {
  const wanted = new Map<string, number>();
  for (const row of deleted) {
    const key = rowKey(row);
    wanted.set(key, (wanted.get(key) ?? 0) + 1);
  }
  const remove: Datum[] = [];
  for (const datum of current) {
    if (wanted.size === 0) break;
    const key = rowKey(columns.map((c) => datum[c] ?? null));
    const left = wanted.get(key);
    if (!left) continue;
    remove.push(datum);
    if (left === 1) wanted.delete(key);
    else wanted.set(key, left - 1);
  }
  return { remove, insert: inserted.map((row) => rowToDatum(columns, row)) };
}

/** The part of `vega.changeset()` the adapter uses; taken as a factory so the client needs no Vega. */
export interface ChangesetLike<C> {
  remove(values: Datum[]): C;
  insert(values: Datum[]): C;
}

/**
 * Turns a view's change into a Vega changeset against the data the chart holds (`view.data(name)`):
 * `chart.change('table', toVegaChangeset(vega.changeset, columns, chart.data('table'), change))`.
 */
export function toVegaChangeset<C extends ChangesetLike<C>>(
  changeset: () => C,
  columns: string[],
  current: readonly Datum[],
  change: { inserted: Row[]; deleted: Row[] },
): C {
  const parts = changesetParts(columns, current, change.inserted, change.deleted);
  return changeset().remove(parts.remove).insert(parts.insert);
}
