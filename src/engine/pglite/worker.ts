/**
 * The PGlite worker: every SQL statement of the PGlite path runs here, off the thread that serves
 * sockets. It creates only the views the engine asks for (the PGlite-path views and the views they
 * read), commits each transaction at the timestamp the engine gives it, and reports the changes of
 * the views it serves. Requests are handled one at a time, in order, so a snapshot always sits
 * exactly between two commits.
 */
import { parentPort } from 'node:worker_threads';
import { PGlite, type ParserOptions } from '@electric-sql/pglite';
import { pg_ivm } from '@electric-sql/pglite-pg_ivm';
import { Multiset } from '../../core/multiset.js';
import { ViewcastError, ViewDefinitionError } from '../../core/errors.js';
import { PGLITE_PARSERS } from '../../sql/scalar/wire.js';
import { loadSqlParser, parseViewsFile } from '../../sql/views-file.js';
import { commit, evaluate, type EngineState } from './commit.js';
import { postgresReason } from './create-view.js';
import type { InitRequest, InitResult, Reply, Request, SnapshotResult } from './protocol.js';
import { evaluationError, isDataError } from './evaluation-errors.js';
import { openSchema } from './schema.js';

if (!parentPort) throw new Error('the PGlite worker must run in a worker thread');
const port = parentPort;

let state: EngineState | null = null;
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
  if (!s) throw new ViewcastError('VIEWCAST_ENGINE', 'the PGlite worker is not started');
  switch (request.type) {
    case 'ingest':
      return commit(s, request.steps, request.timestamp);
    case 'snapshot':
      return snapshot(s, request.view);
    case 'close':
      await s.db.close();
      state = null;
      return null;
  }
}

async function init(request: InitRequest): Promise<InitResult> {
  await loadSqlParser();
  const parsed = parseViewsFile(request.viewsSql, request.viewsFile);
  const views = { ...parsed, views: parsed.views.filter((v) => request.create.includes(v.name)) };
  const db = await PGlite.create({
    ...(request.dataDir ? { dataDir: request.dataDir } : {}),
    extensions: { pg_ivm },
    // The same wire form as the delta path: exact bigints and numerics, Postgres's text for times.
    parsers: PGLITE_PARSERS as ParserOptions,
  });
  try {
    const serve = new Set(request.serve);
    const opened = await openSchema(db, views, request.viewsSql, request.dataDir, serve);
    const s: EngineState = {
      db,
      plans: opened.plans,
      serve,
      lastTimestamp: opened.lastTimestamp,
      evaluated: new Map(),
      failing: new Map(),
    };
    for (const plan of s.plans) {
      if (plan.kind === 'immv' || !serve.has(plan.name)) continue;
      // A view can be created and still fail when it runs. On the events it reads (a division by
      // zero, a cast) it is in error, as it would be later; any other failure is its definition's.
      const rows = await evaluate(db, plan).catch((error: unknown) => {
        if (isDataError(error)) {
          s.failing.set(plan.name, [evaluationError(plan.name, error)]);
          return new Multiset();
        }
        const line = views.views.find((v) => v.name === plan.name)?.line ?? 0;
        throw new ViewDefinitionError(plan.name, line, postgresReason(error), views.file);
      });
      s.evaluated.set(plan.name, rows);
    }
    state = s;
    const columns = Object.fromEntries(
      s.plans.filter((p) => serve.has(p.name)).map((p) => [p.name, p.columns]),
    );
    return { columns, timestamp: s.lastTimestamp, warnings: opened.warnings };
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

async function snapshot(s: EngineState, view: string): Promise<SnapshotResult> {
  const plan = s.plans.find((p) => p.name === view);
  if (!plan || !s.serve.has(view)) throw new ViewcastError('VIEWCAST_UNKNOWN_VIEW', `unknown view "${view}"`);
  const rows: Multiset = s.evaluated.get(view) ?? (await evaluate(s.db, plan));
  return { timestamp: s.lastTimestamp, rows: [...rows.counted()], errors: s.failing.get(view) ?? [] };
}
