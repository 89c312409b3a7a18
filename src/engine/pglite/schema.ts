/**
 * Creates (or reopens) the PGlite path's database: the input table, one object per view it was asked
 * to create, the change capture of the views it serves, and its bookkeeping (the timestamp of its
 * last commit, which the engine compares with its store at start).
 */
import { createHash } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import { ViewcastError } from '../../core/errors.js';
import type { ViewsFile } from '../../sql/views-file.js';
import { columnsOf, createView } from './create-view.js';
import type { ViewKind, ViewPlan } from './view-plan.js';

/** Bumped whenever the layout of `_viewcast` changes: an older data directory is refused. */
export const DATA_FORMAT = '3';

const BOOKKEEPING = `
CREATE SCHEMA _viewcast;
CREATE TABLE _viewcast.meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE _viewcast.views (ord int PRIMARY KEY, name text NOT NULL, kind text NOT NULL, evaluate text NOT NULL);
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
  serve: Set<string>,
): Promise<OpenedSchema> {
  const existing = await db
    .query<{ key: string; value: string }>(`SELECT key, value FROM _viewcast.meta`)
    .then((result) => new Map(result.rows.map((row) => [row.key, row.value])))
    .catch(() => null);
  const hash = viewsHash(viewsSql);
  if (existing) {
    if (existing.get('format') !== DATA_FORMAT) {
      throw new ViewcastError(
        'VIEWCAST_DATA_DIR_MISMATCH',
        `The data directory ${dataDir} was written by another version of viewcast (data format ` +
          `${existing.get('format') ?? '1'}, this version reads ${DATA_FORMAT}). Point --data-dir at a new ` +
          `directory, or delete ${dataDir} to start over (its views are rebuilt from the source).`,
      );
    }
    if (existing.get('views_hash') !== hash) {
      throw new ViewcastError(
        'VIEWCAST_DATA_DIR_MISMATCH',
        `The data directory ${dataDir} was created with a different views file than ${views.file}. ` +
          `Start with the views file it was made with, point --data-dir at a new directory, or delete ` +
          `${dataDir} to start over.`,
      );
    }
    return reopen(db, views.inputTable.name, existing);
  }
  const warnings: string[] = [];
  const inputTable = views.inputTable.name;
  const plans = await db.transaction(async (tx) => {
    await tx.exec(`CREATE EXTENSION IF NOT EXISTS pg_ivm;`);
    await tx.exec(BOOKKEEPING);
    for (const table of views.tables) await tx.exec(table.sql);
    const created: ViewPlan[] = [];
    for (const [ord, view] of views.views.entries())
      created.push(await createView({ tx, file: views.file, warnings }, view, ord, serve.has(view.name)));
    for (const plan of created) {
      await tx.query(`INSERT INTO _viewcast.views VALUES ($1, $2, $3, $4)`, [
        plan.ord,
        plan.name,
        plan.kind,
        plan.evaluate,
      ]);
    }
    await tx.query(
      `INSERT INTO _viewcast.meta VALUES ('format', $1), ('views_hash', $2), ('last_timestamp', '0'), ('warnings', $3)`,
      [DATA_FORMAT, hash, JSON.stringify(warnings)],
    );
    return created;
  });
  return { plans, warnings, lastTimestamp: 0, inputTable };
}

async function reopen(db: PGlite, inputTable: string, meta: Map<string, string>): Promise<OpenedSchema> {
  const rows = await db.query<{ ord: number; name: string; kind: ViewKind; evaluate: string }>(
    `SELECT ord, name, kind, evaluate FROM _viewcast.views ORDER BY ord`,
  );
  const plans: ViewPlan[] = [];
  for (const row of rows.rows) plans.push({ ...row, columns: await columnsOf(db, row.name) });
  return {
    plans,
    warnings: JSON.parse(meta.get('warnings') ?? '[]') as string[],
    lastTimestamp: Number(meta.get('last_timestamp') ?? 0),
    inputTable,
  };
}
