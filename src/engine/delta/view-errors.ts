/**
 * A view's errors as a multiset (errors are data): each error counts the rows, or groups, that
 * raise it, so it disappears when the last of them is retracted. Kept in the StateStore like any
 * operator's memory, so a view in error is still in error after a restart.
 */
import type { ErrorChange } from './batch.js';
import { errorKey } from './batch.js';
import type { StateStore, ViewErrorInfo } from './interface.js';

type StoredError = [info: ViewErrorInfo, count: number];

export class ViewErrors {
  private readonly errors = new Map<string, StoredError>();

  constructor(
    readonly id: string,
    private readonly store: StateStore,
  ) {
    for (const [key, value] of store.entries(id)) this.errors.set(key, value as StoredError);
  }

  /** Applies a transaction's error changes; returns them consolidated. */
  apply(changes: ErrorChange[]): ErrorChange[] {
    if (changes.length === 0) return [];
    const sums = new Map<string, ErrorChange>();
    for (const [info, diff] of changes) {
      const key = errorKey(info);
      const sum = sums.get(key);
      if (sum) sum[1] += diff;
      else sums.set(key, [info, diff]);
    }
    const out: ErrorChange[] = [];
    for (const [key, change] of sums) {
      if (change[1] === 0) continue;
      out.push(change);
      const count = (this.errors.get(key)?.[1] ?? 0) + change[1];
      if (count === 0) {
        this.errors.delete(key);
        this.store.delete(this.id, key);
      } else {
        this.errors.set(key, [change[0], count]);
        this.store.set(this.id, key, [change[0], count] satisfies StoredError);
      }
    }
    return out;
  }

  current(): ViewErrorInfo[] {
    return [...this.errors.values()].filter(([, count]) => count > 0).map(([info]) => info);
  }
}
