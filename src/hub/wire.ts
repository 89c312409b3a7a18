/**
 * Wire encodings, in one place. The seed-compatible format of `/api/stream/:view` is
 * `{"inserted": [...rows], "deleted": [...rows], "timestamp": T}`; the multiplexed protocol
 * (docs/PROTOCOL.md) sends the same `{"inserted", "deleted"}` object per view inside a `batch` frame.
 * A row with diff +2 appears twice in `inserted`; a view is a multiset, so clients apply it as one.
 *
 * Heavy JSON (rows) is serialized once per view and timestamp into a fragment; frames for any number
 * of clients and any combination of views are then assembled from fragments by concatenation.
 * Integers beyond 2^53 (BigInts) are written as exact JSON numbers.
 */
import { parseJson, stringifyJson } from '../core/exact-json.js';
import { consolidate, rowKey, type Change, type Row } from '../core/multiset.js';
import type { ResetReason, StreamMessage } from '../core/wire-protocol.js';
import type { Column, Timestamp } from '../engine/types.js';

export type { ResetReason, StreamMessage };

export function toStreamMessage(changes: Iterable<Change>, timestamp: Timestamp): StreamMessage {
  const inserted: Row[] = [];
  const deleted: Row[] = [];
  for (const [row, diff] of changes) {
    const target = diff > 0 ? inserted : deleted;
    for (let i = 0; i < Math.abs(diff); i++) target.push(row);
  }
  return { inserted, deleted, timestamp };
}

/**
 * Each change's row as JSON text: the row's `rowKey` in a multiset and its element in a fragment
 * at once, so that a batch's rows are serialized once.
 */
export function rowTexts(changes: readonly Change[]): string[] {
  const texts = new Array<string>(changes.length);
  for (let i = 0; i < changes.length; i++) texts[i] = rowKey((changes[i] as Change)[0]);
  return texts;
}

/**
 * `{"inserted":[...],"deleted":[...]}`: one view's changes, the unit every batch frame is built
 * from; `texts`: the rows' texts (`rowTexts`) when the caller has them.
 */
export function changesFragment(changes: readonly Change[], texts = rowTexts(changes)): string {
  return fragmentOf(listText(changes, texts, true), listText(changes, texts, false));
}

/**
 * The inside of a fragment's `inserted` (or `deleted`) list: the texts of the rows inserted (or
 * deleted), comma-separated. A row with diff +2 is listed twice: clients apply the lists as
 * multisets. One row's list is its text itself: nothing is made.
 */
export function listText(changes: readonly Change[], texts: readonly string[], inserted: boolean): string {
  let list = '';
  for (let i = 0; i < changes.length; i++) {
    const diff = (changes[i] as Change)[1];
    if (inserted ? diff <= 0 : diff >= 0) continue;
    const text = texts[i] as string;
    for (let n = Math.abs(diff); n > 0; n--) list += list === '' ? text : `,${text}`;
  }
  return list;
}

/** The fragment with these lists (`listText`). */
export function fragmentOf(inserted: string, deleted: string): string {
  return `{"inserted":[${inserted}],"deleted":[${deleted}]}`;
}

/** The rows a fragment (`changesFragment`) lists, read back from its text with exact integers. */
export function fragmentRows(fragment: string): { inserted: Row[]; deleted: Row[] } {
  return parseJson(fragment) as { inserted: Row[]; deleted: Row[] };
}

/**
 * The changes a fragment lists, consolidated again: each row read back from its JSON text, which
 * is the row's identity in the hub (`rowKey`), inserted rows first.
 */
export function fragmentChanges(fragment: string): Change[] {
  const { inserted, deleted } = fragmentRows(fragment);
  const changes: Change[] = [];
  for (const row of inserted) changes.push([row, 1]);
  for (const row of deleted) changes.push([row, -1]);
  return consolidate(changes);
}

/** The `/api/stream` message for a fragment: the same object with the timestamp added. */
export function streamFrameFrom(fragment: string, timestamp: Timestamp): string {
  return `${fragment.slice(0, -1)},"timestamp":${timestamp}}`;
}

/**
 * A `batch` frame from pre-serialized per-view fragments, in the given order; `extra` (keyed
 * connections: the `bases` field) goes at its end.
 */
export function batchFrame(
  timestamp: Timestamp,
  parts: Iterable<readonly [view: string, fragment: string]>,
  merged = 0,
  extra = '',
): string {
  let views = '';
  for (const [view, fragment] of parts) views += `${views ? ',' : ''}${JSON.stringify(view)}:${fragment}`;
  return `{"type":"batch","timestamp":${timestamp},"views":{${views}}${merged > 0 ? `,"merged":${merged}` : ''}${extra}}`;
}

/** `"timestamp":T,"columns":[...],"rows":[...]`: the shared body of `snapshot` and `reset` frames. */
export function stateBody(timestamp: Timestamp, columns: Column[], rows: Row[]): string {
  return `"timestamp":${timestamp},"columns":${JSON.stringify(columns.map((c) => c.name))},"rows":${stringifyJson(rows)}`;
}

export function snapshotFrame(view: string, body: string): string {
  return `{"type":"snapshot","view":${JSON.stringify(view)},${body}}`;
}

export function resetFrame(view: string, body: string, reason: ResetReason): string {
  return `{"type":"reset","view":${JSON.stringify(view)},${body},"reason":"${reason}"}`;
}

export function progressFrame(timestamp: Timestamp): string {
  return `{"type":"progress","timestamp":${timestamp}}`;
}

export function helloFrame(
  views: string[],
  timestamp: Timestamp | null,
  tick?: number,
  format?: 'keyed',
): string {
  // `tick`: how often an idle client hears progress; absent when the server does not tick.
  // `format`: the keyed form, when the socket asked for it.
  return JSON.stringify({
    type: 'hello',
    protocol: 1,
    views,
    timestamp,
    ...(tick ? { tick } : {}),
    ...(format ? { format } : {}),
  });
}

export function errorFrame(
  code: string,
  message: string,
  extra: { ref?: unknown; view?: string } = {},
): string {
  return JSON.stringify({ type: 'error', code, message, ...extra });
}
