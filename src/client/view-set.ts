/**
 * The views one client follows, and the one moment they all reflect. Pure: protocol messages in,
 * change events out, no I/O, so every rule below has a unit test.
 *
 * One moment per page: a `batch` frame carries every change of its timestamp, so it is applied to
 * all views at once. Frames that could show views at different moments are held back behind a gate
 * and released together as one change event:
 * - after a subscribe without `since`, until every view has its snapshot (or an error);
 * - after a `reset` on a resume, until every other view is known to be at the reset's timestamp:
 *   each got its own reset, or a batch or progress message at or after it arrived; or `flush()`
 *   (the client calls it after a short wait: a server that resumed the others from its log sends
 *   nothing more for them).
 *
 * A view in error (an `error` frame with code VIEWCAST_VIEW_ERROR) stays followed but loses its
 * rows at once, with the error kept on the view; its `reset` (reason `recovered`) brings it back
 * without holding the other views, which are already at that moment.
 */
import type { Change } from '../core/multiset.js';
import { LiveView, toViewChange, type ViewChange } from './live-view.js';
import { VIEW_ERROR_CODE, type ErrorMessage, type ServerMessage, type Timestamp } from './protocol.js';

export interface ChangeEvent {
  /** The moment every followed view now reflects. */
  timestamp: Timestamp;
  /** Net changes per view that changed; views absent here did not change. */
  views: Record<string, ViewChange>;
  /** Set when the server merged batches because this client fell behind. */
  merged?: number;
}

export interface ReceiveResult {
  change?: ChangeEvent;
  /** Nothing changed up to this timestamp. */
  progress?: Timestamp;
  error?: ErrorMessage;
  hello?: { protocol: number; views: string[] };
}

type Held = Extract<ServerMessage, { type: 'snapshot' | 'reset' | 'batch' | 'progress' }>;

interface Gate {
  /** Views that must still get their snapshot or reset. */
  waiting: Set<string>;
  /** A batch or progress at or after this timestamp releases the gate too (null: only `waiting`). */
  until: Timestamp | null;
  held: Held[];
}

export class ViewSet {
  private readonly views = new Map<string, LiveView>();
  /** The moment every view reflects; null before the first complete state. */
  timestamp: Timestamp | null = null;
  private gate: Gate | null = null;

  get(name: string): LiveView | undefined {
    return this.views.get(name);
  }

  names(): string[] {
    return [...this.views.keys()];
  }

  /** True while frames are being held back to keep the views at one moment. */
  get holding(): boolean {
    return this.gate !== null;
  }

  add(names: string[]): string[] {
    const added = names.filter((name) => !this.views.has(name));
    for (const name of added) this.views.set(name, new LiveView(name));
    return added;
  }

  remove(names: string[]): void {
    for (const name of names) {
      this.views.delete(name);
      this.gate?.waiting.delete(name);
    }
  }

  /**
   * Called before (re)subscribing to `names`. Returns the `since` to send: the current moment when
   * every one of them already holds state at it (a resume), otherwise undefined, and then the
   * views wait for their snapshots behind the gate.
   */
  beginSubscribe(names: string[], allowResume: boolean): Timestamp | undefined {
    const resumable =
      allowResume &&
      this.timestamp !== null &&
      names.every((name) => this.views.get(name)?.timestamp != null);
    if (resumable) return this.timestamp ?? undefined;
    const gate = this.gate ?? { waiting: new Set<string>(), until: null, held: [] };
    for (const name of names) gate.waiting.add(name);
    this.gate = gate;
    return undefined;
  }

  receive(message: ServerMessage): ReceiveResult {
    switch (message.type) {
      case 'hello':
        return { hello: { protocol: message.protocol, views: message.views } };
      case 'error':
        if (message.code === VIEW_ERROR_CODE && message.errors) return this.failView(message);
        if (message.view !== undefined && this.views.has(message.view)) {
          this.remove([message.view]);
          return { error: message, ...this.release() };
        }
        return { error: message };
      case 'progress':
      case 'batch':
      case 'snapshot':
      case 'reset':
        return this.receiveState(message);
    }
  }

  /** A followed view went into error: its rows go at once; a gate no longer waits for it. */
  private failView(message: ErrorMessage): ReceiveResult {
    const view = message.view === undefined ? undefined : this.views.get(message.view);
    if (!view || !message.view) return { error: message };
    const body = {
      code: message.code,
      message: message.message,
      view: message.view,
      errors: message.errors ?? [],
    };
    const cleared = view.fail(body);
    this.gate?.waiting.delete(message.view);
    const released = this.release();
    const change: ChangeEvent = released.change ?? { timestamp: this.timestamp ?? 0, views: {} };
    change.views[message.view] = { ...toViewChange(cleared, true), error: body };
    return { error: message, change };
  }

  /**
   * Forgets frames held from a connection that is gone: the next connection asks again from the
   * moment actually applied, so nothing held is needed (or safe to mix with the new frames).
   */
  abandon(): void {
    this.gate = null;
  }

  /** Releases whatever the gate holds, e.g. when the server stays silent for too long. */
  flush(): ReceiveResult {
    if (!this.gate) return {};
    this.gate.waiting.clear();
    return this.release();
  }

  private receiveState(message: Held): ReceiveResult {
    if (
      message.type === 'reset' &&
      message.reason !== 'recovered' &&
      !this.gate &&
      this.views.has(message.view)
    ) {
      // A resume the server could not serve for this view: hold everything until the others
      // are known to be at the reset's moment too.
      const others = this.names().filter((name) => name !== message.view);
      this.gate = { waiting: new Set(others), until: message.timestamp, held: [] };
    }
    if (!this.gate) {
      if (message.type === 'progress') return { progress: this.advance(message.timestamp) };
      return { change: this.applyAll([message]) };
    }
    const gate = this.gate;
    gate.held.push(message);
    if (message.type === 'snapshot' || message.type === 'reset') gate.waiting.delete(message.view);
    else if (gate.until !== null && message.timestamp >= gate.until) gate.waiting.clear();
    return this.release();
  }

  private release(): ReceiveResult {
    const gate = this.gate;
    if (!gate || gate.waiting.size > 0) return {};
    this.gate = null;
    const change = this.applyAll(gate.held);
    if (Object.keys(change.views).length > 0 || change.merged !== undefined) return { change };
    return this.timestamp === null ? {} : { progress: this.timestamp };
  }

  /** Moves the moment forward; views with state are valid at it too (nothing else changed). */
  private advance(timestamp: Timestamp): Timestamp {
    if (this.timestamp === null || timestamp > this.timestamp) this.timestamp = timestamp;
    for (const view of this.views.values()) {
      if (view.timestamp !== null && view.timestamp < this.timestamp) view.timestamp = this.timestamp;
    }
    return this.timestamp;
  }

  /** Applies messages in order and returns their net effect as one event. */
  private applyAll(messages: Held[]): ChangeEvent {
    const net = new Map<string, { changes: Change[]; reset: boolean }>();
    const collect = (name: string, changes: Change[], reset: boolean): void => {
      const entry = net.get(name) ?? { changes: [], reset: false };
      entry.changes.push(...changes);
      entry.reset ||= reset;
      net.set(name, entry);
    };
    let merged: number | undefined;
    for (const message of messages) {
      if (message.type === 'snapshot' || message.type === 'reset') {
        const view = this.views.get(message.view);
        if (!view) continue;
        const key = message.form === undefined ? undefined : (message.key ?? null);
        collect(message.view, view.replace(message.rows, message.timestamp, message.columns, key), true);
      } else if (message.type === 'batch') {
        for (const [name, diff] of Object.entries(message.views)) {
          const view = this.views.get(name);
          // A view already at or past this moment has these changes (or a reset that includes
          // them); applying them again would count them twice.
          if (!view || view.timestamp === null || view.timestamp >= message.timestamp) continue;
          const changes = view.applyDiff(diff);
          view.timestamp = message.timestamp;
          collect(name, changes, false);
        }
        if (message.merged !== undefined) merged = (merged ?? 0) + message.merged;
      }
      // Only at the end do untouched views move to the moment: held frames of a resume may still
      // carry their older changes (a reset of one view can precede another view's missed batches).
      if (this.timestamp === null || message.timestamp > this.timestamp) this.timestamp = message.timestamp;
    }
    if (this.timestamp !== null) this.advance(this.timestamp);
    const views: Record<string, ViewChange> = {};
    for (const [name, { changes, reset }] of net) {
      const change = toViewChange(changes, reset);
      if (change.inserted.length > 0 || change.deleted.length > 0 || reset) views[name] = change;
    }
    const event: ChangeEvent = { timestamp: this.timestamp ?? 0, views };
    if (merged !== undefined) event.merged = merged;
    return event;
  }
}
