/**
 * One store for server state. Updates replace only the slices that changed (new objects), so a
 * component can tell by identity whether it has anything to redraw.
 */
export type Listener<S> = (state: S, previous: S) => void;

export class Store<S extends object> {
  private listeners = new Set<Listener<S>>();

  constructor(private state: S) {}

  get(): S {
    return this.state;
  }

  update(patch: Partial<S>): void {
    let changed = false;
    for (const key of Object.keys(patch) as Array<keyof S>) {
      if (!Object.is(patch[key], this.state[key])) changed = true;
    }
    if (!changed) return;
    const previous = this.state;
    this.state = { ...previous, ...patch };
    for (const listener of this.listeners) listener(this.state, previous);
  }

  subscribe(listener: Listener<S>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
