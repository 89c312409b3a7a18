/**
 * The publication that tells pgoutput which tables to send. viewcast creates it FOR the declared
 * tables when it is missing; an existing one (e.g. named with --pg-publication) must publish inserts,
 * updates, deletes and truncates of every declared table.
 */
import type pg from 'pg';
import { publicationError } from './errors.js';
import { quoteIdentifier } from '../../core/sql-quote.js';
import { quoteTable } from './connection.js';
import type { SourceLog } from '../types.js';
import type { UpstreamTable } from './upstream-checks.js';

const INSUFFICIENT_PRIVILEGE = '42501';

export async function ensurePublication(
  client: pg.Client,
  name: string,
  tables: UpstreamTable[],
  /** True before the initial snapshot: tables may still be added, they will be in the snapshot. */
  fresh: boolean,
  log: SourceLog,
): Promise<void> {
  const list = tables.map((t) => quoteTable(t.name)).join(', ');
  const found = await client.query<{ actions: string }>(
    `SELECT concat_ws(',', CASE WHEN pubinsert THEN 'insert' END, CASE WHEN pubupdate THEN 'update' END,
                      CASE WHEN pubdelete THEN 'delete' END, CASE WHEN pubtruncate THEN 'truncate' END) AS actions
       FROM pg_publication WHERE pubname = $1`,
    [name],
  );
  const publication = found.rows[0];
  if (!publication) {
    await runOrExplain(client, `CREATE PUBLICATION ${quoteIdentifier(name)} FOR TABLE ${list}`);
    log.info(`postgres: created publication ${name} for ${tables.map((t) => t.name).join(', ')}`);
    return;
  }
  // Truncates too: one that is not published would be a change viewcast never hears of.
  if (publication.actions !== 'insert,update,delete,truncate') {
    throw publicationError(
      `Publication "${name}" publishes only ${publication.actions || 'nothing'}; viewcast needs inserts, ` +
        `updates, deletes and truncates. Run ALTER PUBLICATION ${quoteIdentifier(name)} SET (publish = 'insert, ` +
        `update, delete, truncate'); or name another publication with --pg-publication.`,
    );
  }
  const published = await client.query<{ schema: string; table: string }>(
    'SELECT schemaname AS schema, tablename AS table FROM pg_publication_tables WHERE pubname = $1',
    [name],
  );
  const have = new Set(published.rows.map((r) => `${r.schema}.${r.table}`));
  const missing = tables.filter((t) => !have.has(`${t.schema}.${t.table}`));
  if (missing.length === 0) return;
  const add = `ALTER PUBLICATION ${quoteIdentifier(name)} ADD TABLE ${missing.map((t) => quoteTable(t.name)).join(', ')}`;
  if (!fresh) {
    throw publicationError(
      `Publication "${name}" does not include ${missing.map((t) => t.name).join(', ')}, so their changes ` +
        `are not replicated. If the views file gained these tables after viewcast's initial snapshot, ` +
        `start viewcast with a new data directory (a fresh snapshot takes them in); otherwise run ${add}; ` +
        `and start viewcast again.`,
    );
  }
  await runOrExplain(client, add);
  log.info(`postgres: added ${missing.map((t) => t.name).join(', ')} to publication ${name}`);
}

async function runOrExplain(client: pg.Client, statement: string): Promise<void> {
  try {
    await client.query(statement);
  } catch (error) {
    if ((error as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) throw error;
    throw publicationError(
      `viewcast may not run ${statement} (${(error as Error).message}). Run it as the tables' owner ` +
        `(or a superuser), or name an existing publication with --pg-publication, then start viewcast again.`,
    );
  }
}
