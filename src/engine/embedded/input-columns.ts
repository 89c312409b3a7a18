/**
 * Which columns of the input table the views read. Only those are filled on ingest: every stored
 * column costs time on every event (21 text-heavy columns ran about 6x slower than the one column
 * the wikirecent views read; see BENCHMARKS.md), and a column that no view reads can change no view.
 * Postgres itself answers the question: a plain view records a dependency on every column it uses.
 */
import type { Transaction } from '@electric-sql/pglite';
import { quoteIdent } from './view-plan.js';

const PROBE = '_viewcast._column_probe';

/**
 * The input columns that `query` reads, directly (views over other views are covered by those
 * views' own probes). A whole-row reference (`SELECT t FROM recentchanges t`) reads every column.
 * Runs inside a savepoint and leaves nothing behind.
 */
export async function columnsRead(tx: Transaction, query: string, inputTable: string): Promise<string[]> {
  await tx.exec(`SAVEPOINT column_probe`);
  try {
    await tx.exec(`CREATE VIEW ${PROBE} AS ${query}`);
    const result = await tx.query<{ name: string | null }>(
      `SELECT DISTINCT a.attname AS name
         FROM pg_depend d
         JOIN pg_rewrite r ON r.oid = d.objid AND d.classid = 'pg_rewrite'::regclass
         LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE r.ev_class = $1::regclass AND d.refobjid = $2::regclass`,
      [PROBE, quoteIdent(inputTable)],
    );
    const names = result.rows.map((row) => row.name);
    // A relation-level dependency is recorded both for `count(*)` (no column) and for a whole-row
    // reference (`to_jsonb(t)`); Postgres prints the latter as `t.*` in the view's definition.
    const definition = names.includes(null)
      ? ((await tx.query<{ def: string }>(`SELECT pg_get_viewdef($1::regclass) AS def`, [PROBE])).rows[0]
          ?.def ?? '')
      : '';
    if (/\.\*/.test(definition)) {
      const all = await tx.query<{ name: string }>(
        `SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
        [quoteIdent(inputTable)],
      );
      return all.rows.map((row) => row.name);
    }
    return names.filter((name): name is string => name !== null);
  } finally {
    await tx.exec(`ROLLBACK TO SAVEPOINT column_probe`);
  }
}
