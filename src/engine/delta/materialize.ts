/**
 * Keeps a view's contents where no operator does (a view that only filters and projects): the
 * multiset of its rows, so that a subscriber can get a snapshot and a restart finds it again.
 * Passes its input on, consolidated.
 */
import type { EvalContext } from '../../sql/scalar/interface.js';
import type { Batch, DeltaRow, RowChange, Snapshotting } from './batch.js';
import type { StateStore } from './interface.js';
import { exactKey } from './row-key.js';

type StoredRow = [row: DeltaRow, count: number];

export class Materialize implements Snapshotting {
  private readonly rows = new Map<string, RowChange>();

  constructor(
    readonly id: string,
    private readonly store: StateStore,
  ) {
    for (const [key, value] of store.entries(id)) {
      const [row, count] = value as StoredRow;
      this.rows.set(key, [row, count]);
    }
  }

  apply(input: Batch, _ctx: EvalContext): Batch {
    const changes = new Map<string, RowChange>();
    for (const [row, diff, known] of input.rows) {
      const key = known ?? exactKey(row);
      const change = changes.get(key);
      if (change) change[1] += diff;
      else changes.set(key, [row, diff, key]);
    }
    const rows: RowChange[] = [];
    for (const [key, change] of changes) {
      if (change[1] === 0) continue;
      rows.push(change);
      const held = this.rows.get(key);
      const count = (held?.[1] ?? 0) + change[1];
      if (count === 0) {
        this.rows.delete(key);
        this.store.delete(this.id, key);
      } else {
        if (held) held[1] = count;
        else this.rows.set(key, [change[0], count]);
        this.store.set(this.id, key, [change[0], count] satisfies StoredRow);
      }
    }
    return { rows, errors: input.errors };
  }

  *contents(): IterableIterator<RowChange> {
    for (const [row, count] of this.rows.values()) if (count > 0) yield [row, count];
  }
}
