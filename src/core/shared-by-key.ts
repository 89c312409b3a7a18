/**
 * Things shared by key and counted by user: the first `acquire` of a key starts one, later ones
 * share it, and the last `release` stops it. Maintained queries use it, so that identical queries
 * (on the delta path, or re-evaluated in PGlite) run once however many subscribe to them.
 */
export interface Share<T> {
  value: T;
  /** Ends this user's share; the last one stops the value. Idempotent. */
  release(): void;
}

export class SharedByKey<T> {
  private readonly live = new Map<string, { value: T; users: number }>();

  constructor(private readonly stop: (value: T) => void) {}

  /** Values shared now (a key counts once however many share it). */
  get size(): number {
    return this.live.size;
  }

  /** Users of all values together. */
  get users(): number {
    let n = 0;
    for (const entry of this.live.values()) n += entry.users;
    return n;
  }

  /** The value shared under `key` now, if any, without taking a share. */
  peek(key: string): T | undefined {
    return this.live.get(key)?.value;
  }

  /** A share of `key`'s value; `start` makes it when there is none (a throw leaves nothing behind). */
  acquire(key: string, start: () => T): Share<T> {
    let entry = this.live.get(key);
    if (!entry) {
      entry = { value: start(), users: 0 };
      this.live.set(key, entry);
    }
    const shared = entry;
    shared.users += 1;
    let released = false;
    return {
      value: shared.value,
      release: () => {
        if (released) return;
        released = true;
        if (--shared.users > 0) return;
        this.stop(shared.value);
        this.forget(key, shared.value);
      },
    };
  }

  /** Drops `key` if `value` is still what it shares (one whose start failed), so the next user starts again. */
  forget(key: string, value: T): void {
    if (this.live.get(key)?.value === value) this.live.delete(key);
  }
}
