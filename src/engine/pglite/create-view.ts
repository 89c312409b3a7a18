/**
 * Turns one `CREATE [MATERIALIZED] VIEW` of the views file into database objects and a plan (see
 * view-plan.ts): an IMMV with change capture where pg_ivm can maintain the query, a top-k read
 * through an index where the query is `... ORDER BY ... LIMIT k`, else a plain view that is
 * re-evaluated per transaction, with a warning. A query Postgres refuses stops start-up with the
 * view's name, its line and Postgres's reason.
 */
import type { Transaction } from '@electric-sql/pglite';
import { ViewDefinitionError } from '../../core/errors.js';
import type { Column } from '../types.js';
import type { ViewStatement } from '../../sql/views-file.js';
import { installCapture } from './capture.js';
import { quoteIdentifier } from '../../core/sql-quote.js';
import {
  isHiddenColumn,
  parseTopK,
  selectColumns,
  topKIndex,
  topKQuery,
  type TopK,
  type ViewPlan,
} from './view-plan.js';

export interface CreateContext {
  tx: Transaction;
  file: string;
  warnings: string[];
}

/** `served`: the engine publishes this view's changes (else it is only read by other PGlite views). */
export async function createView(
  ctx: CreateContext,
  view: ViewStatement,
  ord: number,
  served: boolean,
): Promise<ViewPlan> {
  const { tx } = ctx;
  const name = quoteIdentifier(view.name);
  const fail = (error: unknown): never => {
    throw new ViewDefinitionError(view.name, view.line, postgresReason(error), ctx.file);
  };
  const topk = parseTopK(view.query);
  if (topk) return createTopK(ctx, view, ord, topk, fail);

  const immvError = await tryImmv(tx, name, view.query);
  if (immvError === null) {
    const columns = await columnsOf(tx, view.name);
    if (served) await installCapture(tx, view.name, ord, columns);
    return { name: view.name, ord, kind: 'immv', columns, evaluate: selectColumns(name, columns) };
  }
  await tx.exec(`CREATE VIEW ${name} AS ${view.query}`).catch(fail);
  // A view only read by other PGlite views is never evaluated on its own: nothing to warn about.
  if (served)
    ctx.warnings.push(
      `view "${view.name}" is re-evaluated in full on every transaction because pg_ivm cannot maintain it ` +
        `(${postgresReason(immvError)}); its cost grows with the size of its inputs.`,
    );
  const columns = await columnsOf(tx, view.name);
  return { name: view.name, ord, kind: 'reevaluate', columns, evaluate: selectColumns(name, columns) };
}

async function createTopK(
  ctx: CreateContext,
  view: ViewStatement,
  ord: number,
  topk: TopK,
  fail: (error: unknown) => never,
): Promise<ViewPlan> {
  const { tx } = ctx;
  const name = quoteIdentifier(view.name);
  let source = topk.source;
  if (source === null) {
    // The body (e.g. a GROUP BY) becomes a hidden IMMV, so the top-k never aggregates all history.
    const hidden = `_viewcast.topk_${ord}`;
    const error = await tryImmv(tx, hidden, topk.body);
    if (error === null) source = hidden;
    else {
      await tx.exec(`CREATE VIEW ${name} AS ${view.query}`).catch(fail);
      ctx.warnings.push(
        `top-k view "${view.name}" is re-evaluated in full on every transaction because pg_ivm cannot ` +
          `maintain its body (${postgresReason(error)}); its cost grows with the size of its inputs.`,
      );
      const columns = await columnsOf(tx, view.name);
      return { name: view.name, ord, kind: 'reevaluate', columns, evaluate: selectColumns(name, columns) };
    }
  }
  await tx
    .exec(`CREATE VIEW ${name} AS SELECT * FROM ${source} ORDER BY ${topk.orderBy} LIMIT ${topk.limit}`)
    .catch(fail);
  const columns = await columnsOf(tx, view.name);
  // An index in the top-k's order lets Postgres read k rows instead of sorting every group.
  await tx.exec(`SAVEPOINT topk_index`);
  const indexError = await tx
    .exec(topKIndex(source, topk, columns))
    .then(() => null)
    .catch((error: unknown) => error);
  if (indexError === null) await tx.exec(`RELEASE SAVEPOINT topk_index`);
  else {
    await tx.exec(`ROLLBACK TO SAVEPOINT topk_index`);
    ctx.warnings.push(
      `top-k view "${view.name}" has no index in its order (${postgresReason(indexError)}); every ` +
        `transaction sorts all of ${source}.`,
    );
  }
  return { name: view.name, ord, kind: 'topk', columns, evaluate: topKQuery(source, topk, columns) };
}

/** Creates an IMMV; returns null on success, else pg_ivm's error (the transaction is unharmed). */
async function tryImmv(tx: Transaction, name: string, query: string): Promise<unknown> {
  await tx.exec(`SAVEPOINT immv`);
  try {
    await tx.query(`SELECT pgivm.create_immv($1, $2)`, [name, query]);
    await tx.exec(`RELEASE SAVEPOINT immv`);
    return null;
  } catch (error) {
    await tx.exec(`ROLLBACK TO SAVEPOINT immv`);
    return error;
  }
}

export async function columnsOf(db: Pick<Transaction, 'query'>, relation: string): Promise<Column[]> {
  const result = await db.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
     WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [quoteIdentifier(relation)],
  );
  return result.rows.filter((column) => !isHiddenColumn(column.name));
}

export function postgresReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
}
