/**
 * The views file as a data directory takes it at start: reconciled view by view (views-change.ts),
 * views that need history computed from the retained event log (recompute.ts), and one start-up
 * line saying what changed.
 */
import { planViews } from '../../sql/planner/plan-views.js';
import type { ViewsFile } from '../../sql/views-file.js';
import type { EngineStore } from '../store/engine-store.js';
import { recomputeViews } from './recompute.js';
import { formatRetain } from './retention.js';
import { reconcileViews } from './views-change.js';

export interface AdoptOptions {
  dataDir: string | null;
  retainMs: number;
  forcePglite: boolean;
  /** The engine's clock at start. */
  now: number;
  /** Progress lines of a recompute, at most one every `progressMs` (default 1000). */
  onProgress?: (line: string) => void;
  progressMs?: number;
}

/** Returns the start-up note (null when the views file did not change). */
export async function adoptViewsFile(
  store: EngineStore,
  parsed: ViewsFile,
  options: AdoptOptions,
): Promise<string | null> {
  const { forcePglite, now } = options;
  const recomputed: string[] = [];
  const change = await reconcileViews(store, parsed, planViews(parsed, { forcePglite }), {
    dataDir: options.dataDir,
    retain: formatRetain(options.retainMs),
    now,
    forcePglite,
    recompute: async (views) => {
      const { events, seconds } = await recomputeViews({
        store,
        parsed,
        views,
        forcePglite,
        now,
        progress: options.onProgress ?? (() => undefined),
        ...(options.progressMs !== undefined ? { everyMs: options.progressMs } : {}),
      });
      const rate = Math.round(events / Math.max(seconds, 1e-3));
      const from = `from ${events} retained events in ${seconds.toFixed(1)} s (${rate} events/s)`;
      recomputed.push(...views.map((v) => `"${v}" recomputed ${from}`));
    },
  });
  const parts = [
    ...change.rebuilt.map((v) => `"${v}" built again from its stored state and the views it reads`),
    ...recomputed,
    ...change.dropped.map((v) => `"${v}" removed, its state dropped`),
  ];
  return parts.length > 0 ? `views file changed: ${parts.join('; ')}` : null;
}
