/**
 * The PGlite worker: every SQL statement of the embedded engine runs here, off the thread that
 * serves sockets. Requests are handled one at a time, in order, so a snapshot always sits exactly
 * between two commits.
 */
import { parentPort } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { pg_ivm } from '@electric-sql/pglite-pg_ivm';
import { consolidate, difference, Multiset, type Change } from '../../core/multiset.js';
import { ViewcastError } from '../../errors.js';
import type { InputRecord } from '../types.js';
import { parseViewsFile } from '../views-file.js';
import type {
  CommitResult,
  InitRequest,
  InitResult,
  Reply,
  Request,
  SnapshotResult,
  ViewChanges,
} from './protocol.js';
import { columnsOf, openSchema } from './schema.js';
import { quoteIdent, type ViewPlan } from './view-plan.js';

if (!parentPort) throw new Error('the engine worker must run in a worker thread');
const port = parentPort;

interface State {
  db: PGlite;
  plans: ViewPlan[];
  inputTable: string;
  lastTimestamp: number;
  /** Current results of views that are diffed in JS (top-k and re-evaluated ones). */
  evaluated: Map<string, Multiset>;
}

let state: State | null = null;
let queue: Promise<void> = Promise.resolve();

port.on('message', (request: Request) => {
  queue = queue.then(() => handle(request));
});

async function handle(request: Request): Promise<void> {
  try {
    const result = await dispatch(request);
    port.postMessage({ id: request.id, ok: true, result } satisfies Reply);
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    const code = error instanceof ViewcastError ? error.code : 'VIEWCAST_ENGINE';
    port.postMessage({
      id: request.id,
      ok: false,
      error: { code, message: e.message, name: e.name },
    } satisfies Reply);
  }
}

async function dispatch(request: Request): Promise<unknown> {
  if (request.type === 'init') return init(request);
  const s = state;
  if (!s) throw new ViewcastError('VIEWCAST_ENGINE', 'the engine is not started');
  switch (request.type) {
    case 'ingest':
      return ingest(s, request.records, request.positions);
    case 'snapshot':
      return snapshot(s, request.view);
    case 'position': {
      const result = await s.db.query<{ position: string }>(
        `SELECT position FROM _viewcast.positions WHERE source = $1`,
        [request.source],
      );
      return result.rows[0]?.position ?? null;
    }
    case 'close':
      await s.db.close();
      state = null;
      return null;
  }
}

async function init(request: InitRequest): Promise<InitResult> {
  const views = parseViewsFile(request.viewsSql, request.viewsFile);
  const db = await PGlite.create({
    ...(request.dataDir ? { dataDir: request.dataDir } : {}),
    extensions: { pg_ivm },
  });
  try {
    const opened = await openSchema(db, views, request.viewsSql, request.dataDir);
    const s: State = {
      db,
      plans: opened.plans,
      inputTable: opened.inputTable,
      // The state is valid now: nothing has changed since the last commit.
      lastTimestamp: Math.max(opened.lastTimestamp, Date.now()),
      evaluated: new Map(),
    };
    for (const plan of s.plans) {
      if (plan.kind !== 'immv') s.evaluated.set(plan.name, await evaluate(db, plan));
    }
    state = s;
    return {
      views: s.plans.map(({ name, columns }) => ({ name, columns })),
      inputColumns: await columnsOf(db, s.inputTable),
      warnings: opened.warnings,
      timestamp: s.lastTimestamp,
    };
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

/** Timestamps only grow: the wall clock in milliseconds, bumped by one when it has not moved on. */
function nextTimestamp(s: State): number {
  return Math.max(Date.now(), s.lastTimestamp + 1);
}

async function ingest(
  s: State,
  records: InputRecord[],
  positions: Record<string, string>,
): Promise<CommitResult> {
  const timestamp = nextTimestamp(s);
  const input = quoteIdent(s.inputTable);
  const evaluated = new Map<string, Multiset>();
  const views = await s.db.transaction(async (tx) => {
    if (records.length > 0) {
      await tx.query(`INSERT INTO ${input} SELECT * FROM json_populate_recordset(null::${input}, $1)`, [
        JSON.stringify(records),
      ]);
    }
    for (const [source, position] of Object.entries(positions)) {
      await tx.query(
        `INSERT INTO _viewcast.positions VALUES ($1, $2) ON CONFLICT (source) DO UPDATE SET position = EXCLUDED.position`,
        [source, position],
      );
    }
    await tx.query(`UPDATE _viewcast.meta SET value = $1 WHERE key = 'last_timestamp'`, [String(timestamp)]);
    const captured = await tx.query<{ view: string; diff: number; r: Record<string, unknown> }>(
      `DELETE FROM _viewcast.changes RETURNING view, diff, r`,
    );
    const byView = new Map<string, Change[]>();
    for (const { view, diff, r } of captured.rows) {
      const plan = s.plans.find((p) => p.name === view);
      if (!plan) continue;
      const list = byView.get(view) ?? [];
      list.push([plan.columns.map((c) => r[c.name] ?? null), diff]);
      byView.set(view, list);
    }
    const out: ViewChanges[] = [];
    for (const plan of s.plans) {
      if (plan.kind === 'immv') {
        out.push({ view: plan.name, changes: consolidate(byView.get(plan.name) ?? []) });
      } else {
        const next = await evaluate(tx, plan);
        evaluated.set(plan.name, next);
        out.push({
          view: plan.name,
          changes: difference(s.evaluated.get(plan.name) ?? new Multiset(), next),
        });
      }
    }
    return out;
  });
  // Only after the commit: a failed transaction must leave the remembered results untouched.
  for (const [name, result] of evaluated) s.evaluated.set(name, result);
  s.lastTimestamp = timestamp;
  return { timestamp, views };
}

async function evaluate(db: Pick<PGlite, 'query'>, plan: ViewPlan): Promise<Multiset> {
  const result = await db.query<{ r: Record<string, unknown> }>(
    `SELECT to_jsonb(t) AS r FROM (${plan.evaluate}) t`,
  );
  const rows = new Multiset();
  for (const { r } of result.rows)
    rows.apply(
      plan.columns.map((c) => r[c.name] ?? null),
      1,
    );
  return rows;
}

async function snapshot(s: State, view: string): Promise<SnapshotResult> {
  const plan = s.plans.find((p) => p.name === view);
  if (!plan) throw new ViewcastError('VIEWCAST_UNKNOWN_VIEW', `unknown view "${view}"`);
  const rows = s.evaluated.get(view) ?? (await evaluate(s.db, plan));
  return { timestamp: s.lastTimestamp, rows: [...rows.counted()] };
}
