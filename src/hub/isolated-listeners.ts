/**
 * A set of listeners where one that throws never stops the others, nor whoever emits: a failing
 * session, feed or socket is that listener's problem. Each failing listener is logged once, by its
 * function name, so a listener that throws on every moment does not flood the log.
 */
import { errorMessage } from '../core/errors.js';

export interface ListenerLog {
  error(message: string): void;
}

export class IsolatedListeners<A extends unknown[]> {
  private readonly listeners = new Set<(...args: A) => void>();
  private readonly reported = new WeakSet<(...args: A) => void>();
  /** Calls that threw, over all listeners. */
  failures = 0;

  constructor(
    private readonly what: string,
    private readonly log: ListenerLog,
  ) {}

  add(listener: (...args: A) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }

  emit(...args: A): void {
    // Most views have no listener of their progress: nothing to walk.
    if (this.listeners.size === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(...args);
      } catch (error) {
        this.failed(listener, error);
      }
    }
  }

  /**
   * `emit` for listeners of one argument (moments, batches, progress: several calls per
   * transaction), without the array a rest parameter makes on every call.
   */
  emitOne<T>(this: IsolatedListeners<[T]>, arg: T): void {
    if (this.listeners.size === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(arg);
      } catch (error) {
        this.failed(listener, error);
      }
    }
  }

  private failed(listener: (...args: A) => void, error: unknown): void {
    this.failures++;
    if (this.reported.has(listener)) return;
    this.reported.add(listener);
    this.log.error(
      `${this.what} listener ${listener.name || '(anonymous)'} threw: ${errorMessage(error)}; ` +
        'the other listeners go on (logged once per listener)',
    );
  }
}
