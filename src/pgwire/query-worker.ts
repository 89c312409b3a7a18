/**
 * The worker thread that answers SELECTs with Postgres itself (PGlite), off the thread that serves
 * sockets. It holds each served view as an empty view of the same name and column types, so that
 * catalog queries (psql's \dv and \d, GUI tools) see exactly the served views and nothing else.
 * A query over views runs in a transaction that first replaces the views it reads by tables holding
 * their current rows, turns read-only, reads at most the row
 * cap through a cursor, and rolls back: nothing a query does outlives it.
 */
import { parentPort } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import type { WorkerRequest, WorkerResponse, WorkerTable } from './query-protocol.js';
import { quoteIdentifier } from '../core/sql-quote.js';

const port = parentPort;
if (!port) throw new Error('query-worker.js runs as a worker thread');

// Every value comes back as the text Postgres sent; the server encodes it (text or binary) itself.
const raw: Record<number, (text: string) => string> = {};
for (let oid = 1; oid < 16384; oid++) raw[oid] = (text) => text;

const db = PGlite.create({ parsers: raw });

async function defineViews(views: WorkerTable[]): Promise<void> {
  const pg = await db;
  for (const view of views) {
    const columns = view.columns.map((c) => `NULL::${c.type} AS ${quoteIdentifier(c.name)}`).join(', ');
    await pg.exec(
      `CREATE OR REPLACE VIEW ${quoteIdentifier(view.name)} AS SELECT ${columns || '1 AS "?"'} WHERE false`,
    );
  }
}

async function load(table: WorkerTable): Promise<void> {
  const pg = await db;
  const name = quoteIdentifier(table.name);
  const columns = table.columns.map((c) => `${quoteIdentifier(c.name)} ${c.type}`).join(', ');
  // Transactional DDL: the view becomes a table of its rows until the ROLLBACK that ends the query.
  await pg.exec(`DROP VIEW ${name}; CREATE TABLE ${name} (${columns})`);
  if (table.rows.length === 0) return;
  const casts = table.columns.map((c, i) => `(r->>${i})::${c.type}`).join(', ');
  await pg.query(`INSERT INTO ${name} SELECT ${casts} FROM json_array_elements($1::json) r`, [
    JSON.stringify(table.rows),
  ]);
}

const CURSOR_PREFIX = 'DECLARE viewcast_result NO SCROLL CURSOR FOR ';

async function run(request: Extract<WorkerRequest, { kind: 'run' }>): Promise<WorkerResponse> {
  const pg = await db;
  await pg.exec('BEGIN');
  try {
    for (const table of request.tables) await load(table);
    await pg.exec('SET TRANSACTION READ ONLY');
    await pg.query(CURSOR_PREFIX + request.sql, request.params);
    const result = await pg.query<unknown[]>(`FETCH ${request.maxRows + 1} FROM viewcast_result`, [], {
      rowMode: 'array',
    });
    return {
      id: request.id,
      ok: true,
      fields: result.fields.map((f) => ({ name: f.name, oid: f.dataTypeID })),
      rows: result.rows as Array<Array<string | null>>,
    };
  } finally {
    await pg.exec('ROLLBACK');
  }
}

async function describe(request: Extract<WorkerRequest, { kind: 'describe' }>): Promise<WorkerResponse> {
  const pg = await db;
  const described = await pg.describeQuery(request.sql);
  return {
    id: request.id,
    ok: true,
    fields: described.resultFields.map((f) => ({ name: f.name, oid: f.dataTypeID })),
    rows: [],
    paramTypes: described.queryParams.map((p) => p.dataTypeID),
  };
}

function failure(id: number, error: unknown, prefix: number): WorkerResponse {
  const e = error as { code?: string; message?: string; hint?: string; position?: string };
  const position = e.position ? Number(e.position) - prefix : undefined;
  return {
    id,
    ok: false,
    error: {
      code: e.code ?? 'XX000',
      message: e.message ?? String(error),
      ...(e.hint ? { hint: e.hint } : {}),
      ...(position !== undefined && position > 0 ? { position } : {}),
    },
  };
}

// One request at a time: a query's BEGIN ... ROLLBACK must not interleave with another's.
let queue: Promise<void> = Promise.resolve();
port.on('message', (request: WorkerRequest) => {
  queue = queue.then(async () => {
    let response: WorkerResponse;
    try {
      if (request.kind === 'views') {
        await defineViews(request.views);
        response = { id: request.id, ok: true, fields: [], rows: [] };
      } else if (request.kind === 'run') response = await run(request);
      else response = await describe(request);
    } catch (error) {
      response = failure(request.id, error, request.kind === 'run' ? CURSOR_PREFIX.length : 0);
    }
    port.postMessage(response);
  });
});
