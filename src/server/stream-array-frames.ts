/**
 * The array frames of `/api/stream` (docs/PROTOCOL.md). The positional format: `[dt,[inserted],
 * [deleted]]` for a live batch, the timestamp as the difference from the view's previous batch,
 * which every socket of the view was sent; `[timestamp,[inserted],[deleted],base]` for a
 * connection's first frame and for a catch-up. About 45 bytes for a one-row top-10 change where the
 * seed format takes 89. The keyed format's full frames are the same arrays with the keyed lists
 * (upserted rows, removed keys), its first frame adding the view's key; its live frames are the
 * hub's (`keyedSingleFrame`, keyed-wire.ts), shared with one-view SSE streams.
 */
import { stringifyJson } from '../core/exact-json.js';
import type { KeyColumns } from '../core/keyed.js';
import type { Change, Row } from '../core/multiset.js';
import type { Timestamp } from '../engine/types.js';
import { fragmentRows, toStreamMessage } from '../hub/wire.js';

function rowsText(rows: Row[]): string {
  return stringifyJson(rows);
}

/** A live batch, `dt` after the view's previous one. */
export function positionalDelta(changes: Iterable<Change>, dt: number): Buffer {
  const { inserted, deleted } = toStreamMessage(changes, 0);
  return Buffer.from(`[${dt},${rowsText(inserted)},${rowsText(deleted)}]`);
}

/**
 * A whole state or a net change at `timestamp` as its two lists (inserted and deleted rows, or
 * upserted rows and removed keys), with the base the next delta counts from; a keyed connection's
 * first frame adds `key`, the positions of the view's key columns (this protocol has no column
 * names; null: the view has no key, and its frames are positional).
 */
export function streamFullFrame(
  timestamp: Timestamp,
  [first, second]: readonly [Row[], Row[]],
  base: Timestamp,
  key?: KeyColumns | null,
): Buffer {
  const tail = key === undefined ? '' : `,${JSON.stringify(key)}`;
  return Buffer.from(`[${timestamp},${rowsText(first)},${rowsText(second)},${base}${tail}]`);
}

/** A catch-up from a changes fragment (`{"inserted":[...],"deleted":[...]}`). */
export function positionalFromFragment(fragment: string, timestamp: Timestamp, base: Timestamp): Buffer {
  const { inserted, deleted } = fragmentRows(fragment);
  return streamFullFrame(timestamp, [inserted, deleted], base);
}
