/**
 * Reads the frames of a keyed connection (docs/PROTOCOL.md, "The keyed form") into protocol
 * messages: live batches arrive as arrays `[dt, {view: entry}]` (or `[dt, upserted, removed]` on a
 * one-view SSE stream) whose timestamp counts from the bases of the views they list, and whose
 * entries mean upserts and removed keys for a keyed view, inserted and deleted rows for a
 * positional one. The decoder learns each view's form and base from its snapshot or reset, and
 * moves the bases with every batch; it lives as long as the client, so a resume keeps them.
 */
import type { Row } from '../core/multiset.js';
import type {
  BatchMessage,
  KeyedDiff,
  KeyedEntry,
  ServerMessage,
  Timestamp,
  ViewDiff,
  ViewForm,
} from '../core/wire-protocol.js';

export class KeyedDecoder {
  private readonly forms = new Map<string, ViewForm>();
  private readonly bases = new Map<string, Timestamp>();

  /** `only`: the one view of a one-view SSE stream, whose live frames do not name it. */
  constructor(private only: string | null = null) {}

  /** Names the stream's only view (null: frames name their views). */
  followOnly(view: string | null): void {
    this.only = view;
  }

  /** A live batch frame (an array) as a batch message. */
  decodeArray(frame: unknown[]): BatchMessage {
    const [dt, second, third] = frame;
    if (typeof dt !== 'number') throw new TypeError('a keyed frame without its timestamp delta');
    let entries: Record<string, unknown>;
    if (Array.isArray(second)) {
      if (this.only === null) throw new TypeError('an unnamed keyed frame on a stream of several views');
      entries = { [this.only]: third === undefined ? [second] : [second, third] };
    } else if (second !== null && typeof second === 'object') entries = second as Record<string, unknown>;
    else throw new TypeError('a keyed frame without views');
    let base: Timestamp | null = null;
    for (const view of Object.keys(entries)) {
      const known = this.bases.get(view);
      if (known === undefined) throw new TypeError(`a keyed frame for "${view}" before its base`);
      base = base === null ? known : Math.max(base, known);
    }
    const timestamp = (base ?? 0) + dt;
    const views: BatchMessage['views'] = {};
    for (const [view, entry] of Object.entries(entries)) {
      views[view] = this.diff(view, entry);
      this.bases.set(view, timestamp);
    }
    return { type: 'batch', timestamp, views };
  }

  /** Learns from an object frame, and turns the array entries of a keyed `batch` into diffs. */
  observe(message: ServerMessage): ServerMessage {
    switch (message.type) {
      case 'snapshot':
      case 'reset':
        if (message.form) this.forms.set(message.view, message.form);
        if (message.base !== undefined) this.bases.set(message.view, message.base);
        return message;
      case 'progress':
        for (const [view, base] of Object.entries(message.bases ?? {})) this.bases.set(view, base);
        return message;
      case 'batch':
        for (const [view, entry] of Object.entries(message.views)) {
          if (Array.isArray(entry)) message.views[view] = this.diff(view, entry);
          this.bases.set(view, message.bases?.[view] ?? message.timestamp);
        }
        return message;
      default:
        return message;
    }
  }

  private diff(view: string, entry: unknown): ViewDiff | KeyedDiff {
    if (!Array.isArray(entry) || !Array.isArray(entry[0]))
      throw new TypeError(`a keyed entry for "${view}" that is not [rows] or [rows, rows]`);
    const [first, second] = entry as KeyedEntry;
    const rest: Row[] = second ?? [];
    if (this.forms.get(view) === 'keyed') return { upserted: first, removed: rest };
    return { inserted: first, deleted: rest };
  }
}
