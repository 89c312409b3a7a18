/**
 * Computes added or changed views from the retained event log (`--retain`) before they are served:
 * a delta graph of only those views (each reads tables only: views over views are rebuilt from
 * their upstream at every start anyway) replays every retained transaction at its own timestamp,
 * with the events mapped as the new views file maps them (so a view may read a column no earlier
 * view read), writing its state to the engine store. The result is what a fresh run over the same
 * retained events would hold. Progress goes to `progress` at most every `everyMs` of wall-clock time.
 */
import { countText } from '../../core/count-text.js';
import { arrivedEventReader, recordMapper } from '../../ingest/records.js';
import type { ViewsFile } from '../../sql/views-file.js';
import { buildDeltaGraph } from '../delta/graph.js';
import type { InputChange } from '../delta/interface.js';
import type { EngineStore } from '../store/engine-store.js';
import { inputColumnsRead } from './columns-read.js';

/** Events replayed between two commits of the recomputed state (bounds the write set). */
const COMMIT_EVERY = 20_000;

export interface RecomputeOptions {
  store: EngineStore;
  parsed: ViewsFile;
  /** Views to compute, each reading tables only. */
  views: string[];
  forcePglite: boolean;
  /** The engine's clock: windows that closed before it are closed when the views are served. */
  now: number;
  progress: (line: string) => void;
  /** Least wall-clock interval between two progress lines (default 1000 ms). */
  everyMs?: number;
  /** Wall-clock milliseconds, for rates and the ETA (injected by tests). */
  wallClock?: () => number;
}

export interface RecomputeResult {
  events: number;
  seconds: number;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export async function recomputeViews(options: RecomputeOptions): Promise<RecomputeResult> {
  const { store, parsed, views, progress } = options;
  const log = store.log;
  const wall = options.wallClock ?? (() => performance.now());
  const everyMs = options.everyMs ?? 1000;
  const input = parsed.tables[0];
  if (!log || !input || views.length === 0) return { events: 0, seconds: 0 };
  const subset: ViewsFile = { ...parsed, views: parsed.views.filter((v) => views.includes(v.name)) };
  const graph = buildDeltaGraph(subset, store, { forcePglite: options.forcePglite });
  const columns = inputColumnsRead(subset.views, input);
  const map = recordMapper(columns);
  const read = arrivedEventReader(columns);
  const total = log.status.events;
  const names = views.map((v) => `"${v}"`).join(', ');
  const started = wall();
  let lastLine = started;
  let done = 0;
  let sinceCommit = 0;
  progress(`recomputing ${names} from ${countText(total)} retained events`);
  for (const [timestamp, entry] of log.entries()) {
    const changes: InputChange[] =
      entry.c ?? (entry.e ?? []).map((event) => ({ table: input.name, row: map(read(event)), diff: 1 }));
    graph.apply(changes, timestamp);
    done += changes.length;
    sinceCommit += changes.length;
    if (sinceCommit >= COMMIT_EVERY) {
      sinceCommit = 0;
      await store.commit(store.lastTimestamp, {}, store.pending);
    }
    const now = wall();
    if (now - lastLine >= everyMs && done < total) {
      lastLine = now;
      const rate = done / Math.max((now - started) / 1000, 1e-3);
      progress(
        `recomputing ${names}: ${countText(done)} / ${countText(total)} events (${Math.floor((100 * done) / Math.max(total, 1))}%), ` +
          `${countText(rate)} events/s, about ${duration((total - done) / rate)} left`,
      );
    }
  }
  // Windows that closed between the last retained transaction and now are closed before serving.
  graph.apply([], options.now);
  await store.commit(store.lastTimestamp, {}, store.pending);
  const seconds = (wall() - started) / 1000;
  return { events: done, seconds };
}
