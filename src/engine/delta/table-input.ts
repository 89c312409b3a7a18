/**
 * Input changes (column name -> value, as events are mapped) turned into rows of internal values
 * for the views that read a table. Rows hold only the columns some view reads; a value that does
 * not fit its column becomes NULL, as docs/VIEWS.md promises for events.
 */
import { baseType } from '../../sql/parse-types.js';
import { fromInput, type SqlType } from '../../sql/scalar/index.js';
import type { Batch, DeltaRow } from './batch.js';
import type { InputChange } from './interface.js';

export class TableInput {
  private readonly columns: Array<{ name: string; type: SqlType }>;

  /** `columns`: the table's columns that views read, in the order the planner laid them out. */
  constructor(columns: Array<{ name: string; type: string }>) {
    this.columns = columns.map((c) => ({ name: c.name, type: baseType(c.type) as SqlType }));
  }

  convert(changes: InputChange[], into: Batch): void {
    const columns = this.columns;
    for (const change of changes) {
      const row: DeltaRow = new Array<unknown>(columns.length);
      for (let i = 0; i < columns.length; i++) {
        const c = columns[i] as { name: string; type: SqlType };
        const value = change.row[c.name];
        if (value === undefined || value === null) {
          row[i] = null;
          continue;
        }
        try {
          row[i] = fromInput(c.type, value);
        } catch {
          row[i] = null;
        }
      }
      into.rows.push([row, change.diff]);
    }
  }
}
