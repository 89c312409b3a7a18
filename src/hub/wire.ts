/**
 * The seed-compatible wire format of `/api/stream/:view`:
 * `{"inserted": [...rows], "deleted": [...rows], "timestamp": T}`. A row with diff +2 appears twice
 * in `inserted`; a view is a multiset, so the client must apply it as one.
 */
import type { Change, Row } from '../core/multiset.js';
import type { Timestamp } from '../engine/types.js';

export interface StreamMessage {
  inserted: Row[];
  deleted: Row[];
  timestamp: Timestamp;
}

export function toStreamMessage(changes: Iterable<Change>, timestamp: Timestamp): StreamMessage {
  const inserted: Row[] = [];
  const deleted: Row[] = [];
  for (const [row, diff] of changes) {
    const target = diff > 0 ? inserted : deleted;
    for (let i = 0; i < Math.abs(diff); i++) target.push(row);
  }
  return { inserted, deleted, timestamp };
}
