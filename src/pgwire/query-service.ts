/**
 * Answers SELECTs with full Postgres semantics, off the socket thread: a PGlite worker
 * (query-worker.ts) gets the referenced views' rows as the hub holds them (all read in one go on
 * this thread, so they belong to one moment) and runs the query. The rows are loaded per query:
 * a query costs the size of the views it reads, which is small for served views (top-k, counters,
 * aggregates); nothing has to follow moments while nobody asks. A query that runs longer than the
 * statement timeout gets the worker terminated (PGlite cannot be interrupted) and a fresh one
 * started. On a gateway the remote engine answers instead.
 */
import { Worker } from 'node:worker_threads';
import type { Hub } from '../hub/hub.js';
import { formatValue, typeOid } from '../core/pg-types.js';
import type { Field } from './backend-messages.js';
import { canceled, PgError, SQLSTATE } from './pg-error.js';
import type { PgLimits } from './pg-options.js';
import type { AnalyzedQuery } from './query-analysis.js';
import type { WorkerRequest, WorkerResponse, WorkerTable } from './query-protocol.js';
import { refuseViewInError } from './view-error.js';

export interface QueryResult {
  fields: Field[];
  rows: Array<Array<string | null>>;
}

/** A gateway's remote engine (Materialize or another viewcast), which answers SELECTs itself. */
export interface RemoteQueries {
  run(sql: string, params: Array<string | null>, signal: AbortSignal): Promise<QueryResult>;
}

type Request = WorkerRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

export class QueryService {
  private worker: Worker | null = null;
  /** Resolves once the worker's PGlite has started and holds the views (start-up is not timed). */
  private ready: Promise<Worker> | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, (response: WorkerResponse) => void>();
  /** One request at a time, so that the timeout of one never kills another's work. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly hub: Hub,
    private readonly limits: PgLimits,
    private readonly remote: RemoteQueries | null,
  ) {}

  /** Runs a SELECT over served views (or the catalog) and returns at most the row cap. */
  async run(query: AnalyzedQuery, params: Array<string | null>, signal: AbortSignal): Promise<QueryResult> {
    let result: QueryResult;
    if (this.remote && !query.catalog) result = await this.remote.run(query.sql, params, signal);
    else {
      refuseViewInError(this.hub, query.views);
      const tables = query.views.map((view) => this.table(view));
      const sql = query.sql.replace(/[\s;]+$/, '');
      result = await this.request({ kind: 'run', sql, params, tables, maxRows: this.limits.maxRows }, signal);
    }
    if (result.rows.length > this.limits.maxRows) {
      throw new PgError(
        SQLSTATE.programLimitExceeded,
        `the query returns more than ${this.limits.maxRows} rows`,
        {
          hint: 'add a LIMIT or a WHERE, or raise --pg-max-rows.',
        },
      );
    }
    return result;
  }

  /** The result fields and parameter types of a query, without running it (Describe). */
  async describe(query: AnalyzedQuery): Promise<{ fields: Field[]; paramTypes: number[] }> {
    const response = await this.send({ kind: 'describe', sql: query.sql.replace(/[\s;]+$/, '') }, null);
    return { fields: response.fields, paramTypes: response.paramTypes ?? [] };
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.restart();
    await worker?.terminate();
  }

  /** A view's current rows, in Postgres text (one entry per copy of a row). */
  private table(view: string): WorkerTable {
    const channel = this.hub.require(view);
    const oids = channel.info.columns.map((c) => typeOid(c.type));
    const rows: WorkerTable['rows'] = [];
    for (const [row, count] of channel.rows.counted()) {
      const text = oids.map((oid, i) => formatValue(row[i], oid));
      for (let n = 0; n < count; n++) rows.push(text);
    }
    return { name: view, columns: channel.info.columns, rows };
  }

  private async request(request: Request, signal: AbortSignal): Promise<QueryResult> {
    const response = await this.send(request, signal);
    return { fields: response.fields, rows: response.rows };
  }

  private send(request: Request, signal: AbortSignal | null) {
    const next = this.queue.then(() => this.exchange(request, signal));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async exchange(request: Request, signal: AbortSignal | null) {
    if (signal?.aborted) throw canceled();
    const worker = await this.start();
    if (signal?.aborted) throw canceled();
    const id = this.nextId++;
    const response = await new Promise<WorkerResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.restart();
        reject(
          new PgError(SQLSTATE.queryCanceled, 'canceling statement due to statement timeout', {
            hint: `a SELECT may run ${this.limits.statementTimeoutMs / 1000} s (--pg-statement-timeout).`,
          }),
        );
      }, this.limits.statementTimeoutMs);
      const onAbort = (): void => {
        this.restart();
        reject(canceled());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(r);
      });
      worker.postMessage({ ...request, id } as WorkerRequest);
    }).finally(() => this.waiting.delete(id));
    if (!response.ok) {
      const { code, message, hint, position } = response.error;
      throw new PgError(code as PgError['sqlstate'], message, {
        ...(hint ? { hint } : {}),
        ...(position ? { position } : {}),
      });
    }
    return response;
  }

  private start(): Promise<Worker> {
    if (this.ready) return this.ready;
    const worker = new Worker(new URL('./query-worker.js', import.meta.url));
    worker.unref();
    this.worker = worker;
    this.ready = new Promise<Worker>((resolve, reject) => {
      worker.on('message', (response: WorkerResponse) => {
        if (response.id !== 0) return this.waiting.get(response.id)?.(response);
        if (response.ok) resolve(worker);
        else
          reject(
            new PgError(SQLSTATE.internalError, `the query engine did not start: ${response.error.message}`),
          );
      });
      worker.on('error', (error) => {
        reject(new PgError(SQLSTATE.internalError, `the query engine failed: ${error.message}`));
        this.restart();
      });
    });
    this.ready.catch(() => undefined);
    const views = this.hub.views.map((c) => ({ name: c.name, columns: c.info.columns, rows: [] }));
    worker.postMessage({ id: 0, kind: 'views', views } satisfies WorkerRequest);
    return this.ready;
  }

  /** Terminates the worker (a query that would not stop); the next request starts a fresh one. */
  private restart(): void {
    void this.worker?.terminate();
    this.worker = null;
    this.ready = null;
  }
}
