/**
 * Creates (or reopens) the engine's database: the input table, one object per view, the change
 * capture, and the bookkeeping that makes ingest exactly-once (`_viewcast.positions`).
 */
import { createHash } from 'node:crypto';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import { ViewcastError, ViewDefinitionError } from '../../errors.js';
import type { ViewsFile, ViewStatement } from '../views-file.js';
import {
  isHiddenColumn,
  parseTopK,
  quoteIdent,
  topKQuery,
  type ViewKind,
  type ViewPlan,
} from './view-plan.js';

type Db = PGlite | Transaction;

const BOOKKEEPING = `
CREATE SCHEMA _viewcast;
CREATE TABLE _viewcast.meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE _viewcast.positions (source text PRIMARY KEY, position text NOT NULL);
CREATE TABLE _viewcast.views (ord int PRIMARY KEY, name text NOT NULL, kind text NOT NULL, evaluate text NOT NULL);
CREATE UNLOGGED TABLE _viewcast.changes (view text NOT NULL, diff int NOT NULL, r jsonb NOT NULL);
-- pg_ivm maintains IMMVs with an empty search_path: every name here is schema-qualified.
CREATE FUNCTION _viewcast.capture() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO _viewcast.changes SELECT TG_ARGV[0], -1, pg_catalog.to_jsonb(o) FROM old_rows o;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO _viewcast.changes SELECT TG_ARGV[0], 1, pg_catalog.to_jsonb(n) FROM new_rows n;
  END IF;
  RETURN NULL;
END $$;
`;

export function viewsHash(viewsSql: string): string {
  return createHash('sha256').update(viewsSql).digest('hex');
}

export interface OpenedSchema {
  plans: ViewPlan[];
  warnings: string[];
  lastTimestamp: number;
  inputTable: string;
}

export async function openSchema(
  db: PGlite,
  views: ViewsFile,
  viewsSql: string,
  dataDir: string | null,
): Promise<OpenedSchema> {
  const existing = await db
    .query<{ value: string }>(`SELECT value FROM _viewcast.meta WHERE key = 'views_hash'`)
    .catch(() => null);
  const hash = viewsHash(viewsSql);
  if (existing) {
    if (existing.rows[0]?.value !== hash) {
      throw new ViewcastError(
        'VIEWCAST_DATA_DIR_MISMATCH',
        `The data directory ${dataDir} was created with a different views file than ${views.file}. ` +
          `Start with the views file it was made with, point --data-dir at a new directory, or delete ${dataDir} to start over.`,
      );
    }
    return reopen(db, views.inputTable.name);
  }
  const warnings: string[] = [];
  const plans = await db.transaction(async (tx) => {
    await tx.exec(`CREATE EXTENSION IF NOT EXISTS pg_ivm;`);
    await tx.exec(BOOKKEEPING);
    await tx.exec(views.inputTable.sql);
    const created: ViewPlan[] = [];
    for (const view of views.views) created.push(await createView(tx, view, views.file, warnings));
    for (const [ord, plan] of created.entries()) {
      await tx.query(`INSERT INTO _viewcast.views VALUES ($1, $2, $3, $4)`, [
        ord,
        plan.name,
        plan.kind,
        plan.evaluate,
      ]);
    }
    await tx.query(`INSERT INTO _viewcast.meta VALUES ('views_hash', $1), ('last_timestamp', '0')`, [hash]);
    return created;
  });
  return { plans, warnings, lastTimestamp: 0, inputTable: views.inputTable.name };
}

async function reopen(db: PGlite, inputTable: string): Promise<OpenedSchema> {
  const rows = await db.query<{ name: string; kind: ViewKind; evaluate: string }>(
    `SELECT name, kind, evaluate FROM _viewcast.views ORDER BY ord`,
  );
  const plans: ViewPlan[] = [];
  for (const row of rows.rows) plans.push({ ...row, columns: await columnsOf(db, row.name) });
  const last = await db.query<{ value: string }>(
    `SELECT value FROM _viewcast.meta WHERE key = 'last_timestamp'`,
  );
  return { plans, warnings: [], lastTimestamp: Number(last.rows[0]?.value ?? 0), inputTable };
}

async function createView(
  tx: Transaction,
  view: ViewStatement,
  file: string,
  warnings: string[],
): Promise<ViewPlan> {
  const name = quoteIdent(view.name);
  const fail = (error: unknown): never => {
    throw new ViewDefinitionError(view.name, view.line, postgresReason(error), file);
  };
  const topk = parseTopK(view.query);
  if (topk) {
    await tx.exec(`CREATE VIEW ${name} AS ${view.query}`).catch(fail);
    const columns = await columnsOf(tx, view.name);
    if (topk.source) {
      // An index in the ORDER BY's order lets Postgres read the first k rows instead of sorting them all.
      await tx.exec(`SAVEPOINT topk_index`);
      await tx
        .exec(`CREATE INDEX ON ${topk.source} (${topk.orderBy})`)
        .catch(() => tx.exec(`ROLLBACK TO SAVEPOINT topk_index`));
    }
    return { name: view.name, kind: 'topk', columns, evaluate: topKQuery(topk, columns.length) };
  }
  await tx.exec(`SAVEPOINT immv`);
  const immv = await tx
    .query(`SELECT pgivm.create_immv($1, $2)`, [name, view.query])
    .then(() => null)
    .catch((error: unknown) => error);
  if (immv === null) {
    await tx.exec(`RELEASE SAVEPOINT immv`);
    for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
      const refs = [
        op !== 'INSERT' ? 'OLD TABLE AS old_rows' : '',
        op !== 'DELETE' ? 'NEW TABLE AS new_rows' : '',
      ].join(' ');
      await tx.exec(
        `CREATE TRIGGER ${quoteIdent(`_viewcast_${op.toLowerCase()}`)} AFTER ${op} ON ${name} REFERENCING ${refs} ` +
          `FOR EACH STATEMENT EXECUTE FUNCTION _viewcast.capture(${quoteLiteral(view.name)})`,
      );
    }
    return {
      name: view.name,
      kind: 'immv',
      columns: await columnsOf(tx, view.name),
      evaluate: `SELECT * FROM ${name}`,
    };
  }
  await tx.exec(`ROLLBACK TO SAVEPOINT immv`);
  await tx.exec(`CREATE VIEW ${name} AS ${view.query}`).catch(fail);
  warnings.push(
    `view "${view.name}" is re-evaluated in full on every transaction because pg_ivm cannot maintain it ` +
      `(${postgresReason(immv)}); its cost grows with the size of its inputs.`,
  );
  return {
    name: view.name,
    kind: 'reevaluate',
    columns: await columnsOf(tx, view.name),
    evaluate: `SELECT * FROM ${name}`,
  };
}

export async function columnsOf(db: Db, relation: string): Promise<ViewPlan['columns']> {
  const result = await db.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
     WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [quoteIdent(relation)],
  );
  return result.rows.filter((column) => !isHiddenColumn(column.name));
}

function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function postgresReason(error: unknown): string {
  return error instanceof Error ? error.message.replace(/\s+/g, ' ').trim() : String(error);
}
