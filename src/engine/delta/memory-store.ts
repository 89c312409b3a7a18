/**
 * A StateStore that keeps everything in memory: for tests, for `--memory`, and as the oracle
 * harness's store. Values are kept as given (plain data), so a graph rebuilt from the same store
 * sees exactly what the previous one wrote, as it would after a restart on a durable store.
 */
import type { StateStore } from './interface.js';

export interface MemoryStateStore extends StateStore {
  /** Number of entries of every operator together. */
  readonly size: number;
  /** Operators with at least one entry. */
  operators(): string[];
}

/** The store of an operator whose memory is rebuilt at start instead of kept: nothing to load or write. */
export const NO_STORE: StateStore = { entries: () => [], set: () => undefined, delete: () => undefined };

export function memoryStateStore(): MemoryStateStore {
  const ops = new Map<string, Map<string, unknown>>();
  return {
    get size() {
      let n = 0;
      for (const entries of ops.values()) n += entries.size;
      return n;
    },
    operators: () => [...ops.keys()].filter((op) => (ops.get(op)?.size ?? 0) > 0),
    entries: (op) => [...(ops.get(op) ?? new Map<string, unknown>())],
    set(op, key, value) {
      let entries = ops.get(op);
      if (!entries) ops.set(op, (entries = new Map()));
      entries.set(key, value);
    },
    delete(op, key) {
      ops.get(op)?.delete(key);
    },
  };
}
