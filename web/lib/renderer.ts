/**
 * Commits store state to the page at most once per animation frame. Every part of the page is
 * drawn from the same committed state in the same frame, so the counter, the chart and the "as of"
 * time never show different moments. Parts compare their slice with the last committed one and
 * skip the work when it did not change.
 */
import type { Store } from './store.js';

export interface Part<S> {
  /** Draws `state`; `previous` is what is on screen (null the first time). May be async (Vega). */
  render(state: S, previous: S | null): void | Promise<void>;
}

export class Renderer<S extends object> {
  private committed: S | null = null;
  private scheduled = false;
  private running: Promise<void> | null = null;

  constructor(
    private readonly store: Store<S>,
    private readonly parts: Array<Part<S>>,
    /** Called after each commit, with the state now on screen. */
    private readonly onCommit: (state: S) => void = () => undefined,
  ) {
    store.subscribe(() => this.schedule());
  }

  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Hidden tabs get no animation frames; they still catch up, just less often.
    if (document.hidden) setTimeout(() => void this.frame(), 250);
    else requestAnimationFrame(() => void this.frame());
  }

  private async frame(): Promise<void> {
    await this.running;
    this.scheduled = false;
    const state = this.store.get();
    if (state === this.committed) return;
    this.running = (async () => {
      const previous = this.committed;
      // Async parts first, then the synchronous ones in the same task: one moment on screen.
      for (const part of this.parts) await part.render(state, previous);
      this.committed = state;
      this.onCommit(state);
    })();
    await this.running;
    this.running = null;
  }
}
