/**
 * The keyed wire form (docs/PROTOCOL.md, "The keyed form"), beside the seed encodings of wire.ts:
 * per view an entry `[[upserted],[removed keys]]` (a view with a unique key: a changed row travels
 * once) or `[[inserted],[deleted]]` (a view without one), the empty second list left out; live
 * batches as `[dt,{view: entry}]`, `dt` counted from the largest base of the listed views (a view's
 * base is the timestamp of its previous batch, the same for every client, so a frame is encoded
 * once for every socket that follows the same views); and the fields snapshots, resets and
 * progress frames add on keyed connections so that a client knows every view's form and base.
 */
import { stringifyJson } from '../core/exact-json.js';
import { toKeyed, type KeyColumns } from '../core/keyed.js';
import type { Change, Row } from '../core/multiset.js';
import type { Timestamp } from '../engine/types.js';
import { toStreamMessage } from './wire.js';

/** A change as the keyed form's two lists: upserted and removed keys, or inserted and deleted. */
export function keyedLists(changes: Iterable<Change>, key: KeyColumns | null): [Row[], Row[]] {
  if (key) {
    const { upserted, removed } = toKeyed(changes, key);
    return [upserted, removed];
  }
  const { inserted, deleted } = toStreamMessage(changes, 0);
  return [inserted, deleted];
}

/** One view's change as a keyed-form entry, serialized once per batch. */
export function keyedEntry(changes: Iterable<Change>, key: KeyColumns | null): string {
  const [first, second] = keyedLists(changes, key);
  return second.length === 0
    ? `[${stringifyJson(first)}]`
    : `[${stringifyJson(first)},${stringifyJson(second)}]`;
}

/** A live batch frame: `[dt,{"view":entry,...}]`. */
export function keyedLiveFrame(
  dt: number,
  parts: ReadonlyArray<readonly [view: string, entry: string]>,
): string {
  let views = '';
  for (const [view, entry] of parts) views += `${views ? ',' : ''}${JSON.stringify(view)}:${entry}`;
  return `[${dt},{${views}}]`;
}

/** A live batch of a stream that follows one view (SSE, `/api/stream`): `[dt,upserted,removed]`. */
export function keyedSingleFrame(dt: number, entry: string): string {
  return `[${dt},${entry.slice(1)}`;
}

/** What a snapshot or reset adds on a keyed connection: the view's form, its key and its base. */
export function keyedStateFields(key: string[] | null, base: Timestamp): string {
  return key
    ? `,"form":"keyed","key":${JSON.stringify(key)},"base":${base}`
    : `,"form":"positional","base":${base}`;
}

/** A snapshot or reset frame (a JSON object) with the keyed connection's fields added. */
export function withKeyedState(frame: string, key: string[] | null, base: Timestamp): string {
  return `${frame.slice(0, -1)}${keyedStateFields(key, base)}}`;
}

/** `"bases":{...}`: the bases of views a frame moves to other timestamps than its own. */
export function basesField(bases: ReadonlyArray<readonly [view: string, base: Timestamp]>): string {
  if (bases.length === 0) return '';
  return `,"bases":{${bases.map(([view, base]) => `${JSON.stringify(view)}:${base}`).join(',')}}`;
}

/** A progress frame that also tells the bases of views resumed from the log. */
export function progressWithBases(
  timestamp: Timestamp,
  bases: ReadonlyArray<readonly [string, Timestamp]>,
): string {
  return `{"type":"progress","timestamp":${timestamp}${basesField(bases)}}`;
}
