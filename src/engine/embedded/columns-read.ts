/**
 * Which columns of the input table some view reads, found in the views' parse trees. Only those are
 * mapped from events and kept: every filled column costs time on every event, and a column no view
 * reads can change no view. Conservative: a column name that appears in any view counts as read, and
 * `*` or a whole-row reference (`to_jsonb(r)`) over the input table reads every column.
 */
import type { Column } from '../types.js';
import type { TableStatement, ViewStatement } from '../../sql/views-file.js';

type Tree = unknown;

function walk(node: Tree, visit: (key: string, value: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  for (const [key, value] of Object.entries(node)) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      visit(key, value as Record<string, unknown>);
    walk(value, visit);
  }
}

function fieldNames(ref: Record<string, unknown>): Array<string | '*'> {
  const fields = (ref.fields ?? []) as Array<Record<string, { sval?: string } | undefined>>;
  return fields.map((field) => (field.A_Star ? '*' : (field.String?.sval ?? '')));
}

export function inputColumnsRead(views: ViewStatement[], input: TableStatement): Column[] {
  const names = new Set(input.columns.map((c) => c.name));
  const read = new Set<string>();
  let all = false;
  for (const view of views) {
    // Names by which this view may refer to the input table's rows as a whole.
    const rowNames = new Set<string>();
    walk(view.ast, (key, value) => {
      if (key !== 'RangeVar' || value.relname !== input.name) return;
      rowNames.add(input.name);
      const alias = (value.alias as { aliasname?: string } | undefined)?.aliasname;
      if (alias) rowNames.add(alias);
    });
    walk(view.ast, (key, value) => {
      if (key !== 'ColumnRef') return;
      const fields = fieldNames(value);
      const last = fields[fields.length - 1];
      if (last === '*') {
        if (rowNames.size > 0) all = true;
      } else if (last !== undefined && names.has(last)) read.add(last);
      else if (fields.length === 1 && last !== undefined && rowNames.has(last)) all = true;
    });
  }
  return input.columns.filter((c) => all || read.has(c.name)).map((c) => ({ name: c.name, type: c.type }));
}

/** Whether some view reads `table` at all: `SELECT count(*) FROM t` reads no column but every row. */
export function readsTable(views: ViewStatement[], table: TableStatement): boolean {
  let reads = false;
  for (const view of views) {
    walk(view.ast, (key, value) => {
      if (key === 'RangeVar' && value.relname === table.name) reads = true;
    });
  }
  return reads;
}
