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
  /**
   * The columns' values of an input row, in order, as a new array (that becomes the row). Made
   * from the column names once: a property read by a name written in the code is one lookup in the
   * row's shape, where `row[name]` over changing names searches the row's properties every time.
   * The names are JSON string literals: no name can be anything but a property name.
   */
  private readonly read: (row: Record<string, unknown>) => unknown[];

  /** `columns`: the table's columns that views read, in the order the planner laid them out. */
  constructor(columns: Array<{ name: string; type: string }>) {
    this.columns = columns.map((c) => ({ name: c.name, type: baseType(c.type) as SqlType }));
    const values = columns.map((c) => `row[${JSON.stringify(c.name)}]`).join(', ');
    this.read = new Function('row', `return [${values}];`) as (row: Record<string, unknown>) => unknown[];
  }

  convert(changes: InputChange[], into: Batch): void {
    const columns = this.columns;
    for (const change of changes) {
      const row: DeltaRow = this.read(change.row);
      for (let i = 0; i < columns.length; i++) {
        const c = columns[i] as { name: string; type: SqlType };
        const value = row[i];
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
