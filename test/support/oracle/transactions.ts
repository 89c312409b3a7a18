/**
 * Random transactions over the input table: inserts of new rows, inserts of another copy of an
 * earlier row (duplicates), and retractions of one copy of a row still present (what upstream
 * deletes and expiring windows send). Each change is both SQL a person can paste into psql and
 * the delta path's input change.
 */
import fc from 'fast-check';
import type { InputChange } from '../../../src/engine/delta/interface.js';
import { cellLiteral, cellValue, inputValue, type CellValue } from './values.js';
import { INPUT_TABLE, type InputColumn } from './views.js';

/** A generated step: `pick` chooses among earlier rows (modulo their number), so it shrinks well. */
export type Step =
  { kind: 'insert'; row: CellValue[] } | { kind: 'copy'; pick: number } | { kind: 'retract'; pick: number };

export interface RowChange {
  row: CellValue[];
  diff: 1 | -1;
}

export function transactions(columns: InputColumn[], maxTransactions = 8): fc.Arbitrary<Step[][]> {
  const row = fc.tuple(...columns.map((c) => cellValue(c.type)));
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 5, arbitrary: row.map((r): Step => ({ kind: 'insert', row: r })) },
    { weight: 1, arbitrary: fc.nat(50).map((pick): Step => ({ kind: 'copy', pick })) },
    { weight: 3, arbitrary: fc.nat(50).map((pick): Step => ({ kind: 'retract', pick })) },
  );
  return fc.array(fc.array(step, { minLength: 1, maxLength: 6 }), {
    minLength: 1,
    maxLength: maxTransactions,
  });
}

/** The concrete changes of each transaction; steps with nothing to pick from are dropped. */
export function resolve(steps: Step[][]): RowChange[][] {
  const present: CellValue[][] = [];
  const seen: CellValue[][] = [];
  return steps.map((tx) => {
    const out: RowChange[] = [];
    for (const step of tx) {
      if (step.kind === 'insert' || step.kind === 'copy') {
        const row = step.kind === 'insert' ? step.row : seen[step.pick % Math.max(1, seen.length)];
        if (!row) continue;
        present.push(row);
        seen.push(row);
        out.push({ row, diff: 1 });
      } else {
        if (present.length === 0) continue;
        const [row] = present.splice(step.pick % present.length, 1);
        if (row) out.push({ row, diff: -1 });
      }
    }
    return out;
  });
}

/** One change as a psql statement; a retraction deletes exactly one copy, found by ctid. */
export function changeSql(columns: InputColumn[], change: RowChange, table = INPUT_TABLE): string {
  const literals = columns.map((c, i) => cellLiteral(c.type, change.row[i] ?? null));
  if (change.diff > 0) {
    return `INSERT INTO ${table} (${columns.map((c) => c.name).join(', ')}) VALUES (${literals.join(', ')});`;
  }
  const match = columns.map((c, i) => `${c.name} IS NOT DISTINCT FROM ${literals[i]}`).join(' AND ');
  return `DELETE FROM ${table} WHERE ctid = (SELECT ctid FROM ${table} WHERE ${match} LIMIT 1);`;
}

export function transactionSql(columns: InputColumn[], changes: RowChange[]): string {
  return ['BEGIN;', ...changes.map((c) => changeSql(columns, c)), 'COMMIT;'].join('\n');
}

/**
 * The delta path's input for one transaction. `consolidated`: equal rows summed into one change of
 * diff ±n (and dropped when they cancel), as a batch that consolidates its input would send.
 */
export function inputChanges(
  columns: InputColumn[],
  changes: RowChange[],
  consolidated = false,
  table = INPUT_TABLE,
): InputChange[] {
  const toInput = (row: CellValue[], diff: number): InputChange => ({
    table,
    row: Object.fromEntries(columns.map((c, i) => [c.name, inputValue(c.type, row[i] ?? null)])),
    diff,
  });
  if (!consolidated) return changes.map(({ row, diff }) => toInput(row, diff));
  const sums = new Map<string, { row: CellValue[]; diff: number }>();
  for (const { row, diff } of changes) {
    const key = JSON.stringify(row);
    const entry = sums.get(key) ?? { row, diff: 0 };
    entry.diff += diff;
    sums.set(key, entry);
  }
  return [...sums.values()].filter((e) => e.diff !== 0).map((e) => toInput(e.row, e.diff));
}
