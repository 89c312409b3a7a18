/**
 * The engine store of `--memory`: nothing survives the process, so a commit only moves the
 * bookkeeping forward and the operators' own maps are the whole state.
 */
import type { Timestamp } from '../types.js';
import type { EngineStore, PendingTransaction } from './engine-store.js';

export class MemoryEngineStore implements EngineStore {
  lastTimestamp: Timestamp = 0;
  pending: PendingTransaction | null = null;
  readonly created = true;
  /** `--memory` keeps no event log: nothing survives to be recomputed. */
  readonly log = null;
  private readonly positions = new Map<string, string>();
  private readonly metadata = new Map<string, string>();

  entries(): Iterable<[string, unknown]> {
    return [];
  }

  set(): void {}

  delete(): void {}

  position(source: string): string | null {
    return this.positions.get(source) ?? null;
  }

  meta(key: string): string | undefined {
    return this.metadata.get(key);
  }

  setMeta(key: string, value: string): void {
    this.metadata.set(key, value);
  }

  commit(
    timestamp: Timestamp,
    positions: Record<string, string>,
    pending: PendingTransaction | null,
  ): Promise<void> {
    for (const [source, position] of Object.entries(positions)) this.positions.set(source, position);
    this.lastTimestamp = timestamp;
    this.pending = pending;
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
