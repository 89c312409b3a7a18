/**
 * Applies a large transaction to the delta graph in slices, letting the event loop run between
 * them, so that the thread that serves sockets is never held for a whole 1,000-event transaction
 * (BENCHMARKS.md, "Event-loop delay of the main thread"). The slices share the transaction's
 * timestamp; the graph keeps the views' changes of all slices by the operators' own row keys and
 * consolidates them once at the end, which is what a single `apply` would have returned, since
 * changes add up.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { DeltaGraph, InputChange, ViewDelta } from '../delta/interface.js';

/** Input changes per slice: about a millisecond of operator work per turn on the recordings. */
export const SLICE = 128;

export async function applySliced(
  graph: DeltaGraph,
  changes: InputChange[],
  timestamp: number,
): Promise<ViewDelta[]> {
  if (changes.length <= SLICE) return graph.apply(changes, timestamp);
  for (let from = 0; from < changes.length; from += SLICE) {
    if (from > 0) await nextTurn();
    graph.applyPart(changes.slice(from, from + SLICE), timestamp);
  }
  return graph.finish();
}
