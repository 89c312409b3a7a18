/**
 * Applies a large transaction to the delta graph in slices, letting the event loop run between
 * them, so that the thread that serves sockets is never held for a whole 1,000-event transaction
 * (BENCHMARKS.md, "Event-loop delay of the main thread"). The slices share the transaction's
 * timestamp; the views' changes of all slices are consolidated into one change set per view, which
 * is what a single `apply` would have returned, since changes add up.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { consolidate, type Change } from '../../core/multiset.js';
import type { DeltaGraph, InputChange, ViewDelta, ViewErrorInfo } from '../delta/interface.js';

/** Input changes per slice: about a millisecond of operator work per turn on the recordings. */
export const SLICE = 128;

export async function applySliced(
  graph: DeltaGraph,
  changes: InputChange[],
  timestamp: number,
): Promise<ViewDelta[]> {
  if (changes.length <= SLICE) return graph.apply(changes, timestamp);
  const parts: ViewDelta[] = [];
  for (let from = 0; from < changes.length; from += SLICE) {
    if (from > 0) await nextTurn();
    parts.push(...graph.apply(changes.slice(from, from + SLICE), timestamp));
  }
  return merge(parts);
}

function merge(parts: ViewDelta[]): ViewDelta[] {
  const byView = new Map<string, { changes: Change[]; errors: Map<string, [ViewErrorInfo, number]> }>();
  for (const part of parts) {
    let entry = byView.get(part.view);
    if (!entry) byView.set(part.view, (entry = { changes: [], errors: new Map() }));
    entry.changes.push(...part.changes);
    for (const [info, diff] of part.errors) {
      const key = JSON.stringify(info);
      const sum = (entry.errors.get(key)?.[1] ?? 0) + diff;
      if (sum === 0) entry.errors.delete(key);
      else entry.errors.set(key, [info, sum]);
    }
  }
  const out: ViewDelta[] = [];
  for (const [view, { changes, errors }] of byView) {
    const net = consolidate(changes);
    if (net.length > 0 || errors.size > 0) out.push({ view, changes: net, errors: [...errors.values()] });
  }
  return out;
}
