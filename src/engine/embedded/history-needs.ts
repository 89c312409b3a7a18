/**
 * Whether the retained event log holds what a view to recompute needs. A cumulative view needs
 * every event since the data directory was made: the log must be complete (nothing dropped by
 * `--retain`, nothing ingested with `--retain 0`, nothing from before the log existed). A windowed
 * view (a temporal filter, `mz_now() <= ...`, over a table) needs only the events whose window is
 * still open: the log must reach back to the oldest such event. Which events those are is measured
 * on the retained events themselves: the longest time any of them stays in the view after its
 * arrival (its window's end minus its transaction's time) is the view's reach; an event dropped
 * from the log is taken to stay no longer, so the view can be recomputed when everything that
 * arrived before the log's start had left the window by now. A row without an end (no upper
 * bound, or a NULL one) makes the view cumulative.
 */
import { compilePlans } from '../../sql/planner/plan-views.js';
import type { TemporalStage } from '../../sql/planner/temporal-filter.js';
import type { ViewsFile } from '../../sql/views-file.js';
import { arrivedEventReader, recordMapper } from '../../ingest/records.js';
import { emptyBatch, type Batch } from '../delta/batch.js';
import { MapFilter } from '../delta/map-filter.js';
import { TableInput } from '../delta/table-input.js';
import { operatorId } from '../delta/view-pipeline.js';
import type { EngineStore } from '../store/engine-store.js';
import { inputColumnsRead } from './columns-read.js';

const iso = (ms: number): string => new Date(ms).toISOString();

function minutes(ms: number): string {
  return ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}

/**
 * For each windowed view among `views`, the longest a retained event stays in it after arriving
 * (ms); absent for views that need every event.
 */
function windowReach(
  store: EngineStore,
  parsed: ViewsFile,
  views: string[],
  forcePglite: boolean,
): Map<string, number> {
  const reach = new Map<string, number>();
  const log = store.log;
  const input = parsed.tables[0];
  if (!log || !input) return reach;
  const subset: ViewsFile = { ...parsed, views: parsed.views.filter((v) => views.includes(v.name)) };
  const { plans, tables } = compilePlans(subset, { forcePglite });
  const probes: Array<{
    view: string;
    table: string;
    convert: TableInput;
    maps: MapFilter[];
    temporal: TemporalStage;
  }> = [];
  for (const [view, plan] of plans) {
    const at = plan.stages.findIndex((s) => s.op === 'temporal');
    const temporal = plan.stages[at] as TemporalStage | undefined;
    const before = plan.stages.slice(0, Math.max(at, 0));
    const columns = tables.get(plan.source.name);
    if (!temporal || plan.source.kind !== 'table' || !columns || before.some((s) => s.op !== 'map')) continue;
    if (!temporal.bounds.some((b) => b.side === 'upper')) continue;
    const maps = before.map((s) =>
      s.op === 'map' ? new MapFilter(operatorId(view, 'map'), view, s.where, s.project) : null,
    );
    probes.push({
      view,
      table: plan.source.name,
      convert: new TableInput(columns),
      maps: maps as MapFilter[],
      temporal,
    });
    reach.set(view, 0);
  }
  if (probes.length === 0) return reach;
  const columns = inputColumnsRead(subset.views, input);
  const map = recordMapper(columns);
  const read = arrivedEventReader(columns);
  for (const [timestamp, entry] of log.entries()) {
    const changes =
      entry.c ?? (entry.e ?? []).map((event) => ({ table: input.name, row: map(read(event)), diff: 1 }));
    for (const probe of probes) {
      if (!reach.has(probe.view)) continue;
      let batch: Batch = emptyBatch();
      probe.convert.convert(
        changes.filter((c) => c.table === probe.table && c.diff > 0),
        batch,
      );
      const ctx = { timestamp };
      for (const op of probe.maps) batch = op.apply(batch, ctx);
      for (const [row] of batch.rows) {
        let until = Infinity;
        try {
          for (const bound of probe.temporal.bounds) {
            if (bound.side !== 'upper') continue;
            const ms = bound.millis(bound.expr.eval(row, ctx));
            if (ms === null || Number.isNaN(ms)) continue; // never in the view
            until = Math.min(until, bound.strict ? ms : ms + 1);
          }
        } catch {
          continue; // an error, not a row of the view
        }
        if (until === Infinity) {
          reach.delete(probe.view);
          break;
        }
        reach.set(probe.view, Math.max(reach.get(probe.view) ?? 0, until - timestamp));
      }
    }
  }
  return reach;
}

/**
 * Why the retained log cannot give each of `views` what it needs, by view; views missing from the
 * result can be recomputed exactly.
 */
export function missingHistory(
  store: EngineStore,
  parsed: ViewsFile,
  views: string[],
  now: number,
  forcePglite: boolean,
): Map<string, string> {
  const missing = new Map<string, string>();
  const stats = store.log?.status;
  if (!stats) {
    for (const view of views) missing.set(view, 'the data directory keeps no event log');
    return missing;
  }
  if (stats.since === 0) return missing;
  const held = stats.oldest === null ? 'no events' : `only events since ${iso(stats.oldest)}`;
  const why = `older ones were dropped by --retain, were ingested with --retain 0, or predate the event log`;
  const reach = windowReach(store, parsed, views, forcePglite);
  for (const view of views) {
    const window = reach.get(view);
    if (window === undefined) {
      missing.set(
        view,
        `needs every event since the data directory was made, and the retained event log holds ${held} (${why})`,
      );
    } else if (stats.since + window > now + 1) {
      missing.set(
        view,
        `keeps events for up to ${minutes(window)} after they arrive, so it needs the events since ${iso(now - window)}, ` +
          `and the retained event log holds ${held} (${why})`,
      );
    }
  }
  return missing;
}
