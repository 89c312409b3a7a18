/**
 * Change capture of an IMMV: statement-level triggers copy the rows pg_ivm deletes and inserts into a
 * per-view table of `(diff, ...view columns)`, which the ingest transaction empties with
 * `DELETE ... RETURNING`. One typed table per view instead of one shared `jsonb` table avoids a
 * `to_jsonb` per changed row and its parsing back (about 20% of ingest time at 1,000 events per
 * transaction; see BENCHMARKS.md). pg_ivm maintains IMMVs with an empty search_path, so every name in
 * the trigger function is schema-qualified.
 */
import type { Transaction } from '@electric-sql/pglite';
import type { Column } from '../types.js';
import { quoteIdentifier } from '../../core/sql-quote.js';

/** The capture table of the view defined at position `ord` in the views file. */
export function captureTable(ord: number): string {
  return `_viewcast.changes_${ord}`;
}

export async function installCapture(
  tx: Transaction,
  view: string,
  ord: number,
  columns: Column[],
): Promise<void> {
  const table = captureTable(ord);
  const fn = `_viewcast.capture_${ord}`;
  const defs = columns.map((c) => `${quoteIdentifier(c.name)} ${c.type}`).join(', ');
  const names = (alias: string): string =>
    columns.map((c) => `${alias}.${quoteIdentifier(c.name)}`).join(', ');
  const sep = columns.length > 0 ? ', ' : '';
  await tx.exec(`
    CREATE UNLOGGED TABLE ${table} (diff int NOT NULL${sep}${defs});
    CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $capture$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO ${table} SELECT -1${sep}${names('o')} FROM old_rows o;
      END IF;
      IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO ${table} SELECT 1${sep}${names('n')} FROM new_rows n;
      END IF;
      RETURN NULL;
    END $capture$;`);
  for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
    const refs = [
      op !== 'INSERT' ? 'OLD TABLE AS old_rows' : '',
      op !== 'DELETE' ? 'NEW TABLE AS new_rows' : '',
    ]
      .join(' ')
      .trim();
    await tx.exec(
      `CREATE TRIGGER ${quoteIdentifier(`_viewcast_${op.toLowerCase()}`)} AFTER ${op} ON ${quoteIdentifier(view)} ` +
        `REFERENCING ${refs} FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`,
    );
  }
}

/** The statement that takes this transaction's captured changes: rows of `[diff, ...columns]`. */
export function takeChanges(ord: number): string {
  return `DELETE FROM ${captureTable(ord)} RETURNING *`;
}
