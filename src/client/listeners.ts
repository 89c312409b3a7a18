/**
 * The client library's event listeners: one set per event type, `on` returning the function that
 * removes the listener again (so that a page can stop listening without keeping the listener).
 */
export class Listeners<Events extends object> {
  private readonly sets = new Map<keyof Events, Set<(event: never) => void>>();

  on<K extends keyof Events>(type: K, listener: (event: Events[K]) => void): () => void {
    let set = this.sets.get(type);
    if (!set) this.sets.set(type, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<K extends keyof Events>(type: K, event: Events[K]): void {
    const set = this.sets.get(type) as Set<(event: Events[K]) => void> | undefined;
    if (set) for (const listener of set) listener(event);
  }
}
