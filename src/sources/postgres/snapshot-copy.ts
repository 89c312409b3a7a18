/**
 * The initial snapshot: every declared table read in the snapshot that the new slot exported, so the
 * rows are exactly those committed before the slot's first change. One batch of insertions.
 */
import type pg from 'pg';
import { quoteIdentifier, quoteLiteral } from '../../core/sql-quote.js';
import { quoteTable } from './connection.js';
import type { InputChange } from './interface.js';
import type { UpstreamTable } from './upstream-checks.js';
import { valueParser } from './values.js';

export async function copyTables(
  client: pg.Client,
  snapshotName: string,
  tables: UpstreamTable[],
): Promise<InputChange[]> {
  const changes: InputChange[] = [];
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    await client.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshotName)}`);
    for (const table of tables) changes.push(...(await readTable(client, table)));
  } finally {
    await client.query('COMMIT').catch(() => undefined);
  }
  return changes;
}

/** All rows of `table`, declared columns only, as insertions (also what tests compare against). */
export async function readTable(client: pg.Client, table: UpstreamTable): Promise<InputChange[]> {
  const names = table.columns.map((c) => quoteIdentifier(c.name)).join(', ');
  const parsers = table.columns.map((c) => valueParser(c.typeOid));
  const result = await client.query({
    text: `SELECT ${names} FROM ${quoteTable(table.name)}`,
    rowMode: 'array',
  });
  return (result.rows as Array<Array<string | null>>).map((values) => {
    const row: Record<string, unknown> = {};
    table.columns.forEach((column, i) => {
      const text = values[i];
      row[column.name] =
        text === null || text === undefined ? null : (parsers[i] as (t: string) => unknown)(text);
    });
    return { table: table.name, row, diff: 1 };
  });
}
