/**
 * Input changes (column name -> value, as events are mapped) turned into rows of internal values
 * for the views that read a table. Only the columns some delta-path view reads are converted; a
 * value that does not fit its column becomes NULL, as docs/VIEWS.md promises for events.
 */
import type { TableStatement } from '../../sql/views-file.js';
import { baseType } from '../../sql/parse-types.js';
import { fromInput, type SqlType } from '../../sql/scalar/index.js';
import type { Batch, DeltaRow } from './batch.js';
import type { InputChange } from './interface.js';

export class TableInput {
  readonly columns: Array<{ name: string; type: SqlType }>;
  private readonly read: Array<{ name: string; index: number; type: SqlType }>;

  constructor(table: TableStatement, reads: Set<string>) {
    this.columns = table.columns.map((c) => ({ name: c.name, type: baseType(c.type) as SqlType }));
    this.read = this.columns.map((c, index) => ({ ...c, index })).filter((c) => reads.has(c.name));
  }

  convert(changes: InputChange[], into: Batch): void {
    const width = this.columns.length;
    for (const change of changes) {
      const row: DeltaRow = new Array<unknown>(width).fill(null);
      for (const c of this.read) {
        const value = change.row[c.name];
        if (value === undefined || value === null) continue;
        try {
          row[c.index] = fromInput(c.type, value);
        } catch {
          row[c.index] = null;
        }
      }
      into.rows.push([row, change.diff]);
    }
  }
}
