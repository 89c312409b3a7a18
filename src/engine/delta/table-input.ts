/**
 * Input changes (column name -> value, as events are mapped) turned into rows of internal values
 * for the views that read a table. Rows hold only the columns some view reads; a value that does
 * not fit its column becomes NULL, as docs/VIEWS.md promises for events.
 */
import { baseType } from '../../sql/parse-types.js';
import { fromInput, type SqlType, type Value } from '../../sql/scalar/index.js';
import type { Batch, DeltaRow } from './batch.js';
import type { InputChange } from './interface.js';

/** One column's value as an internal value; NULL where it does not fit (fromInput throws). */
type Converter = (value: unknown) => Value;

function converterFor(type: SqlType): Converter {
  const convert = (value: unknown): Value => {
    if (value === undefined || value === null) return null;
    try {
      return fromInput(type, value);
    } catch {
      return null;
    }
  };
  // What fromInput gives back unchanged, answered without its switch (and, for an integer beyond
  // the 31 bits of a small integer, without a new heap number for the same value).
  if (type === 'text' || type === 'character varying')
    return (value) => (typeof value === 'string' && !value.includes('\u0000') ? value : convert(value));
  if (type === 'bigint')
    return (value) =>
      typeof value === 'number' && Number.isSafeInteger(value) && value !== 0 ? value : convert(value);
  return convert;
}

export class TableInput {
  /**
   * The columns' values of an input row, converted, in order, as a new array (that becomes the
   * row). Made from the column names once: a property read by a name written in the code is one
   * lookup in the row's shape, where `row[name]` over changing names searches the row's properties
   * every time. The names are JSON string literals: no name can be anything but a property name.
   */
  private readonly read: (row: Record<string, unknown>) => DeltaRow;

  /** `columns`: the table's columns that views read, in the order the planner laid them out. */
  constructor(columns: Array<{ name: string; type: string }>) {
    const converters = columns.map((c) => converterFor(baseType(c.type) as SqlType));
    const values = columns.map((c, i) => `c[${i}](row[${JSON.stringify(c.name)}])`).join(', ');
    const factory = new Function('c', `return (row) => [${values}];`) as (
      converters: Converter[],
    ) => (row: Record<string, unknown>) => DeltaRow;
    this.read = factory(converters);
  }

  convert(changes: InputChange[], into: Batch): void {
    const read = this.read;
    for (const change of changes) into.rows.push([read(change.row), change.diff]);
  }
}
