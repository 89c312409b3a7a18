/**
 * Opening the embedded engine: the views file read and parsed, the store opened and brought to that
 * file (views added or changed are recomputed from the retained log), the delta graph built over the
 * stored state, and the PGlite worker started only when some view needs it. What was opened is
 * closed again when a later step fails.
 */
import { readFile } from 'node:fs/promises';
import { ViewcastError } from '../../core/errors.js';
import { loadSqlParser, parseViewsFile, type ViewsFile } from '../../sql/views-file.js';
import { buildDeltaGraph } from '../delta/graph.js';
import type { DeltaGraph, PlannedView } from '../delta/interface.js';
import { PglitePath } from '../pglite/pglite-path.js';
import type { EngineStore } from '../store/engine-store.js';
import type { Column, ViewInfo } from '../types.js';
import { adoptViewsFile } from './adopt-views.js';
import { inputColumnsRead } from './columns-read.js';
import type { Clock } from '../../core/clock.js';
import { openEngineStore } from './open-store.js';
import { DEFAULT_RETAIN_MS } from './retention.js';

export interface EmbeddedEngineOptions {
  viewsFile: string;
  /** Null keeps everything in memory. */
  dataDir: string | null;
  /** Runs every view on PGlite (`--pglite-only`), to compare the two paths. */
  pgliteOnly?: boolean;
  /** Called once when the engine cannot go on (its PGlite worker died, a commit failed). */
  onFailure?: (error: Error) => void;
  /**
   * With no events, the timestamp still advances every `tickMs` (`--tick`, default 1000;
   * 0: never), as an empty transaction (see clock-tick.ts). `clock` is injected by tests.
   */
  tickMs?: number;
  clock?: Clock;
  /**
   * How long the input events are kept for recomputing added or changed views (`--retain`), in
   * ms: Infinity keeps all, 0 none. Default 7 days. Nothing is kept without a data directory.
   */
  retainMs?: number;
  /** Each transaction on the disk before it is published (`--sync-commits`); see open-store.ts. */
  syncCommits?: boolean;
  /** Progress lines of a recompute at start-up (stderr in `viewcast serve`), at most one a `progressMs`. */
  onProgress?: (line: string) => void;
  progressMs?: number;
}

export interface OpenedEngine {
  parsed: ViewsFile;
  store: EngineStore;
  graph: DeltaGraph;
  /** Null when every view runs on the delta path: PGlite is not loaded at all. */
  pglite: PglitePath | null;
  views: ViewInfo[];
  /** The input table's columns that some view reads. */
  inputColumns: Column[];
  /** Start-up facts worth a log line (the store's, a views file that changed). */
  notes: string[];
  /** Start-up warnings (PGlite views re-evaluated in full on every transaction). */
  warnings: string[];
  retainMs: number;
}

/** `now`: the clock's time for the retained log's window; `onDeath`: the PGlite worker died. */
export async function openEngine(
  options: EmbeddedEngineOptions,
  now: number,
  onDeath: (error: Error) => void,
): Promise<OpenedEngine> {
  const { viewsFile, dataDir } = options;
  const viewsSql = await readFile(viewsFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new ViewcastError(
      'VIEWCAST_VIEWS_FILE',
      `Cannot read the views file ${viewsFile}: ${error.code ?? error.message}.`,
    );
  });
  await loadSqlParser();
  const parsed = parseViewsFile(viewsSql, viewsFile);
  const retainMs = options.retainMs ?? DEFAULT_RETAIN_MS;
  const store = openEngineStore(dataDir, viewsSql, retainMs > 0, options.syncCommits ?? false);
  const notes = [...(store.notes ?? [])];
  let pglite: PglitePath | null = null;
  try {
    const forcePglite = options.pgliteOnly ?? false;
    const note = await adoptViewsFile(store, parsed, {
      dataDir,
      retainMs,
      forcePglite,
      now,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.progressMs !== undefined ? { progressMs: options.progressMs } : {}),
    });
    if (note) notes.push(note);
    const graph = buildDeltaGraph(parsed, store, { forcePglite });
    const input = parsed.tables[0];
    if (!input) throw new ViewcastError('VIEWCAST_BAD_VIEWS_FILE', `${viewsFile}: no input table`);
    const columns = new Map<string, Column[]>();
    if (graph.views.some((v) => v.path === 'pglite')) {
      pglite = await PglitePath.start({ parsed, planned: graph.views, viewsSql, dataDir, store, onDeath });
      for (const [name, cols] of Object.entries(pglite.columns)) columns.set(name, cols);
    }
    return {
      parsed,
      store,
      graph,
      pglite,
      views: graph.views.map((v) => viewInfo(v, columns.get(v.name))),
      inputColumns: inputColumnsRead(parsed.views, input),
      notes,
      warnings: pglite ? [...pglite.warnings] : [],
      retainMs,
    };
  } catch (error) {
    await pglite?.close();
    await store.close();
    throw error;
  }
}

/**
 * The stored state belongs to the paths the views ran on: a data directory made with --pglite-only
 * holds no delta state, and one made without it no PGlite state for those views.
 */
function viewInfo(view: PlannedView, pgliteColumns: Column[] | undefined): ViewInfo {
  const info: ViewInfo = { name: view.name, columns: pgliteColumns ?? view.columns, path: view.path };
  if (view.reason !== undefined) info.reason = view.reason;
  // The key is the delta plan's; a view whose columns come from PGlite has none.
  if (view.key !== undefined && view.path === 'delta') info.key = view.key;
  return info;
}
