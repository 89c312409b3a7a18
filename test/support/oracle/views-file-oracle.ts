/**
 * The oracle for a real views file: its input table and its views, created as plain Postgres views
 * with each top-k's ORDER BY completed by the delta path's documented tie-break (every output
 * column ascending, NULLs last), and its rows inserted and retracted from the mapped records.
 */
import type { ViewsFile, ViewStatement } from '../../../src/sql/views-file.js';
import type { PgliteOracle } from './pglite-oracle.js';

/** The view's query with the tie-break appended to its ORDER BY, when it is a top-k. */
export function oracleQuery(view: ViewStatement, columnCount: number): string {
  if (!view.ast.limitCount || !view.ast.sortClause) return view.query;
  const limit = [...view.query.matchAll(/\bLIMIT\b/gi)].at(-1);
  if (limit?.index === undefined) throw new Error(`cannot find the LIMIT of view ${view.name}`);
  const tieBreak = Array.from({ length: columnCount }, (_, i) => `${i + 1} ASC NULLS LAST`).join(', ');
  const head = view.query.slice(0, limit.index).trimEnd();
  return `${head}, ${tieBreak} ${view.query.slice(limit.index)}`;
}

export async function loadViewsFile(
  oracle: PgliteOracle,
  file: ViewsFile,
  columnCounts: Map<string, number>,
): Promise<void> {
  await oracle.load(
    file.tables.map((t) => `${t.sql};`).join('\n'),
    file.views.map((v) => ({ name: v.name, sql: oracleQuery(v, columnCounts.get(v.name) ?? 0) })),
  );
}

/**
 * Inserts records (column -> value, as the ingest mapper makes them) in one statement, and returns
 * where each row went, so that a retraction removes exactly one copy.
 */
export async function insertRecords(
  oracle: PgliteOracle,
  table: string,
  records: object[],
): Promise<string[]> {
  if (records.length === 0) return [];
  const rows = await oracle.runWith<{ at: string }>(
    `INSERT INTO ${table} SELECT * FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb) RETURNING ctid::text AS at`,
    [JSON.stringify(records)],
  );
  return rows.map((r) => r.at);
}

/** Deletes the rows inserted at `places` (plain VACUUM never moves a row, so they stay put). */
export async function deleteRows(oracle: PgliteOracle, table: string, places: string[]): Promise<void> {
  if (places.length === 0) return;
  await oracle.runWith(`DELETE FROM ${table} WHERE ctid = ANY($1::tid[])`, [places]);
}
