/**
 * Frames a client session sends that many clients share: built once per timestamp (progress) or
 * per catch-up plan (a slow keyed client's net change), however many clients are told.
 */
import type { Timestamp } from '../engine/types.js';
import { keyedEntry } from '../hub/keyed-wire.js';
import type { CatchUp, ViewChannel } from '../hub/view-channel.js';
import { progressFrame } from '../hub/wire.js';

/** A catch-up's net change in the keyed form, made once per plan however many clients catch up with it. */
const catchUpEntries = new WeakMap<CatchUp, string>();
export function catchUpEntry(channel: ViewChannel, plan: Extract<CatchUp, { kind: 'diff' }>): string {
  let entry = catchUpEntries.get(plan);
  if (entry === undefined) catchUpEntries.set(plan, (entry = keyedEntry(plan.changes, channel.keyColumns)));
  return entry;
}

/** `progress` frames, one buffer per timestamp however many clients are told. */
let progressCache: { timestamp: Timestamp; frame: Buffer } | null = null;
export function progressBuffer(timestamp: Timestamp): Buffer {
  if (progressCache?.timestamp !== timestamp)
    progressCache = { timestamp, frame: Buffer.from(progressFrame(timestamp)) };
  return progressCache.frame;
}
