/**
 * A data directory started with an edited views file. Each view's identity (its parse tree:
 * comments and whitespace do not count) and a signature of the state it stores are
 * remembered, and at start:
 * - an unchanged view keeps its state;
 * - a removed view's state is dropped;
 * - an added or changed view is built again when its state can be derived: when it reads only views
 *   (its operators are rebuilt from their contents at every start anyway), or when the operator
 *   that stores its state reads the same rows with the same grouping and aggregates (only what
 *   follows changed: the select list, say `100 / NULLIF(3 - count(*), 0)` for `100 / (3 - count(*))`);
 * - anything else (an added view that reads a table, a changed grouping or aggregate, filter, top-k)
 *   is computed from the retained event log (recompute.ts) before it is served, when the log holds
 *   every event since the data directory was made; when it does not (`--retain` dropped some, or
 *   they were ingested with `--retain 0`), start-up is refused with the views named and what to do.
 *   Unchanged views keep their state: dropping old events only limits later recomputes.
 * PGlite-path views live in PGlite's own database: a change among them is refused.
 */
import { createHash } from 'node:crypto';
import { ViewcastError } from '../../core/errors.js';
import type { ViewsFile, ViewStatement } from '../../sql/views-file.js';
import type { PlannedView } from '../delta/interface.js';
import { operatorId, STATEFUL_ROLES, type StatefulRole } from '../delta/view-pipeline.js';
import type { EngineStore } from '../store/engine-store.js';
import { missingHistory } from './history-needs.js';

interface ViewRecord {
  fingerprint: string;
  /** What the view's stored operator state depends on. */
  state: string;
  path: string;
}

const META_KEY = 'views';
const AGGREGATES = new Set(['count', 'sum', 'avg', 'min', 'max']);

/** The parse tree without source positions, so that moving text around changes nothing. */
function withoutLocations(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutLocations);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) if (key !== 'location') out[key] = withoutLocations(value);
  return out;
}

function aggregateCalls(node: unknown, out: unknown[]): unknown[] {
  if (Array.isArray(node)) for (const item of node) aggregateCalls(item, out);
  else if (typeof node === 'object' && node !== null) {
    const call = (node as { FuncCall?: { funcname?: Array<{ String?: { sval?: string } }> } }).FuncCall;
    const name = call?.funcname?.at(-1)?.String?.sval;
    if (call && name && AGGREGATES.has(name.toLowerCase())) out.push(node);
    else for (const value of Object.values(node)) aggregateCalls(value, out);
  }
  return out;
}

/** An aggregating view stores accumulators per group: its select list may change freely. */
function stateSignature(view: ViewStatement): string {
  const { targetList, havingClause, sortClause, ...rest } = view.ast as Record<string, unknown>;
  const aggregates = aggregateCalls([targetList, havingClause, sortClause], []);
  const grouped = aggregates.length > 0 || rest['groupClause'] !== undefined;
  const depends = grouped ? { ...rest, havingClause, sortClause, aggregates } : view.ast;
  return JSON.stringify(withoutLocations(depends));
}

/**
 * What makes two definitions the same view: the parse tree without positions (comments and spacing
 * do not count) and the column names. Not Postgres's fingerprint, which leaves out constants:
 * `LIMIT 3` and `LIMIT 5` have the same one.
 */
function identity(view: ViewStatement): string {
  const tree = JSON.stringify([withoutLocations(view.ast), view.columnNames ?? null]);
  return createHash('sha256').update(tree).digest('hex');
}

function recordsOf(parsed: ViewsFile, planned: PlannedView[]): Record<string, ViewRecord> {
  const out: Record<string, ViewRecord> = {};
  for (const view of parsed.views) {
    const path = planned.find((p) => p.name === view.name)?.path ?? 'delta';
    out[view.name] = { fingerprint: identity(view), state: stateSignature(view), path };
  }
  return out;
}

function dropState(store: EngineStore, view: string, roles: readonly StatefulRole[]): void {
  for (const role of roles) {
    const op = operatorId(view, role);
    for (const [key] of [...store.entries(op)]) store.delete(op, key);
  }
}

export interface ReconcileOptions {
  dataDir: string | null;
  /** `--retain` as given, for the message that refuses a view. */
  retain: string;
  /** The engine's clock, and whether every view is forced onto PGlite. */
  now: number;
  forcePglite: boolean;
  /** Computes the listed views from the retained event log (recompute.ts). */
  recompute: (views: string[]) => Promise<void>;
}

/**
 * Reconciles the stored state with the views file before the delta graph loads it. Returns the
 * names of the views whose state is built again or recomputed, and of those dropped, for the
 * start-up log. Nothing is changed when start-up is refused.
 */
export async function reconcileViews(
  store: EngineStore,
  parsed: ViewsFile,
  planned: PlannedView[],
  options: ReconcileOptions,
): Promise<{ rebuilt: string[]; recomputed: string[]; dropped: string[] }> {
  const now = recordsOf(parsed, planned);
  const stored = store.meta(META_KEY);
  if (store.created || stored === undefined) {
    store.setMeta(META_KEY, JSON.stringify(now));
    return { rebuilt: [], recomputed: [], dropped: [] };
  }
  const before = JSON.parse(stored) as Record<string, ViewRecord>;
  const tables = new Set(parsed.tables.map((t) => t.name));
  const hasHistory = store.lastTimestamp > 0;
  const rebuilt: string[] = [];
  const recompute: string[] = [];
  const refused: string[] = [];
  const pgliteChanged = (name: string): boolean =>
    (before[name]?.path === 'pglite' || now[name]?.path === 'pglite') &&
    before[name]?.fingerprint !== now[name]?.fingerprint;
  for (const view of parsed.views) {
    const was = before[view.name];
    const is = now[view.name] as ViewRecord;
    if (was && was.fingerprint === is.fingerprint && was.path === is.path) continue;
    const readsTable = (planned.find((p) => p.name === view.name)?.reads ?? []).some((r) => tables.has(r));
    const sameState = was !== undefined && was.state === is.state && was.path === is.path;
    if (pgliteChanged(view.name)) refused.push(`"${view.name}" (line ${view.line})`);
    else if (hasHistory && readsTable && !sameState) recompute.push(view.name);
    else rebuilt.push(view.name);
  }
  const dropped = Object.keys(before).filter((name) => !(name in now));
  if (dropped.some(pgliteChanged)) refused.push(...dropped.filter(pgliteChanged).map((n) => `"${n}"`));
  if (refused.length > 0) {
    throw new ViewcastError(
      'VIEWCAST_DATA_DIR_MISMATCH',
      `The views file changed since the data directory ${options.dataDir ?? ''} was made, and view ${refused.join(', ')} ` +
        `runs on PGlite, whose views cannot change in place. Restore the view's previous definition, add the new ` +
        `one under another name, point --data-dir at a new directory, or delete it to start over.`,
    );
  }
  const missing = missingHistory(store, parsed, recompute, options.now, options.forcePglite);
  if (missing.size > 0) {
    const lines = [...missing].map(
      ([name, why]) => `"${name}" (line ${parsed.views.find((v) => v.name === name)?.line}) ${why}`,
    );
    throw new ViewcastError(
      'VIEWCAST_HISTORY_NOT_RETAINED',
      `The views file changed since the data directory ${options.dataDir ?? ''} was made, and it cannot be ` +
        `computed from the retained events: view ${lines.join('; view ')}. --retain is ${options.retain} now. ` +
        `Restore the view's previous definition; or start over with a new data directory (point --data-dir ` +
        `elsewhere, or delete it) and run with --retain all, so that any view can be added or changed later.`,
    );
  }
  for (const name of rebuilt) {
    // Stored errors belong to the old definition; a state that is not reused is built again.
    const sameState = before[name]?.state === now[name]?.state && before[name]?.path === now[name]?.path;
    dropState(store, name, sameState ? ['errors'] : STATEFUL_ROLES);
  }
  for (const name of [...dropped, ...recompute]) dropState(store, name, STATEFUL_ROLES);
  // Until its recompute is committed, a view's record says it has no state: a restart after a
  // crash drops what was half computed and starts its recompute again.
  const pending: Record<string, ViewRecord> = { ...now };
  for (const name of recompute) pending[name] = { fingerprint: '', state: 'recomputing', path: 'delta' };
  store.setMeta(META_KEY, JSON.stringify(pending));
  // The deletions are committed before the graph reads the state back.
  await store.commit(store.lastTimestamp, {}, store.pending);
  if (recompute.length > 0) {
    await options.recompute(recompute);
    store.setMeta(META_KEY, JSON.stringify(now));
    await store.commit(store.lastTimestamp, {}, store.pending);
  }
  return { rebuilt, recomputed: recompute, dropped };
}
