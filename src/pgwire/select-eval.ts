/**
 * Answers a SELECT from a view's current state in the hub. Comparisons follow SQL's three-valued
 * logic (a NULL operand makes the comparison unknown, and WHERE keeps only true rows); text sorts
 * by code point, as under the C collation.
 */
import type { Row } from '../core/multiset.js';
import type { Column } from '../engine/types.js';
import type { Field } from './backend-messages.js';
import { PgError, SQLSTATE } from './pg-error.js';
import { typeOid } from '../core/pg-types.js';
import type { Condition, Literal, Operand, SelectItem, SelectStatement } from './sql-ast.js';

export interface ResultSet {
  fields: Field[];
  rows: unknown[][];
}

type Lookup = (view: string, position: number) => { name: string; columns: Column[]; rows(): Row[] };

interface Output {
  field: Field;
  /** Value of this output column for one input row (non-aggregate queries). */
  value?: (row: Row) => unknown;
  /** Value over all input rows (aggregate queries). */
  aggregate?: (rows: Row[]) => unknown;
}

const INT_OIDS = new Set([20, 21, 23]);
const FLOAT_OIDS = new Set([700, 701]);

export function describeSelect(statement: SelectStatement, lookup: Lookup): Field[] {
  return plan(statement, lookup).outputs.map((o) => o.field);
}

export function runSelect(
  statement: SelectStatement,
  lookup: Lookup,
  params: Array<string | null>,
): ResultSet {
  const { outputs, columns, view } = plan(statement, lookup);
  const resolveColumn = (name: string, position: number): number => columnIndex(columns, name, position);
  let rows: Row[] = view ? view.rows() : [[]];
  if (statement.where) {
    const where = statement.where;
    rows = rows.filter((row) => test(where, row, columns, resolveColumn, params) === true);
  }
  let out: unknown[][];
  if (outputs.some((o) => o.aggregate)) {
    out = [outputs.map((o) => (o.aggregate ? o.aggregate(rows) : o.value?.([])))];
  } else {
    const sorted = sortRows(statement, rows, outputs, columns);
    out = sorted.map((row) => outputs.map((o) => o.value?.(row)));
  }
  const end = statement.limit === null ? undefined : statement.offset + statement.limit;
  return { fields: outputs.map((o) => o.field), rows: out.slice(statement.offset, end) };
}

function plan(statement: SelectStatement, lookup: Lookup) {
  const view = statement.from ? lookup(statement.from.view, statement.from.position) : null;
  const columns = view?.columns ?? [];
  const outputs: Output[] = [];
  for (const item of statement.items) outputs.push(...outputsFor(item, columns, view !== null));
  const aggregated = outputs.some((o) => o.aggregate);
  if (aggregated) {
    const plain = statement.items.find((i) => i.kind === 'column' || i.kind === 'star');
    if (plain) {
      const name = plain.kind === 'column' ? plain.name : '*';
      throw new PgError(
        SQLSTATE.groupingError,
        `column "${name}" must appear in the GROUP BY clause or be used in an aggregate function`,
        { hint: 'GROUP BY is not supported here: define a view that groups, and select from it.' },
      );
    }
  }
  return { outputs, columns, view };
}

function outputsFor(item: SelectItem, columns: Column[], hasView: boolean): Output[] {
  switch (item.kind) {
    case 'star':
      if (!hasView) throw new PgError(SQLSTATE.syntaxError, 'SELECT * with no tables specified is not valid');
      return columns.map((c, i) => ({
        field: { name: c.name, oid: typeOid(c.type) },
        value: (row) => row[i],
      }));
    case 'column': {
      const index = columnIndex(columns, item.name, item.position);
      const column = columns[index] as Column;
      return [
        { field: { name: item.alias ?? column.name, oid: typeOid(column.type) }, value: (row) => row[index] },
      ];
    }
    case 'literal':
      return [
        { field: { name: item.alias ?? '?column?', oid: literalOid(item.value) }, value: () => item.value },
      ];
    case 'aggregate': {
      const name = item.alias ?? item.fn;
      if (item.column === null) return [{ field: { name, oid: 20 }, aggregate: (rows) => rows.length }];
      const index = columnIndex(columns, item.column, item.position);
      const oid = typeOid((columns[index] as Column).type);
      const values = (rows: Row[]): unknown[] =>
        rows.map((r) => r[index]).filter((v) => v !== null && v !== undefined);
      if (item.fn === 'count')
        return [{ field: { name, oid: 20 }, aggregate: (rows) => values(rows).length }];
      if (item.fn === 'sum') {
        if (!INT_OIDS.has(oid) && !FLOAT_OIDS.has(oid) && oid !== 1700) {
          throw new PgError(
            SQLSTATE.datatypeMismatch,
            `function sum(${(columns[index] as Column).type}) does not exist`,
          );
        }
        return [
          {
            field: { name, oid: FLOAT_OIDS.has(oid) ? 701 : 1700 },
            aggregate: (rows) => sum(values(rows), oid),
          },
        ];
      }
      const sign = item.fn === 'min' ? 1 : -1;
      return [
        {
          field: { name, oid },
          aggregate: (rows) =>
            values(rows).reduce<unknown>(
              (best, v) => (best === null || sign * compare(v, best) < 0 ? v : best),
              null,
            ),
        },
      ];
    }
  }
}

function sum(values: unknown[], oid: number): unknown {
  if (values.length === 0) return null;
  if (FLOAT_OIDS.has(oid)) return values.reduce<number>((a, v) => a + Number(v), 0);
  if (INT_OIDS.has(oid))
    return values.reduce<bigint>((a, v) => a + BigInt(v as number | bigint), 0n).toString();
  return String(values.reduce<number>((a, v) => a + Number(v), 0));
}

function literalOid(value: Literal): number {
  if (typeof value === 'boolean') return 16;
  if (typeof value === 'number')
    return Number.isInteger(value) ? (Math.abs(value) < 2 ** 31 ? 23 : 20) : 1700;
  return 25;
}

function columnIndex(columns: Column[], name: string, position: number): number {
  const index = columns.findIndex((c) => c.name === name);
  if (index === -1) {
    throw new PgError(SQLSTATE.undefinedColumn, `column "${name}" does not exist`, {
      position,
      hint: columns.length > 0 ? `the columns are: ${columns.map((c) => c.name).join(', ')}` : undefined,
    });
  }
  return index;
}

function sortRows(statement: SelectStatement, rows: Row[], outputs: Output[], columns: Column[]): Row[] {
  if (statement.orderBy.length === 0) return rows;
  const keys = statement.orderBy.map((order) => {
    let value: (row: Row) => unknown;
    if ('ordinal' in order.key) {
      const output = outputs[order.key.ordinal - 1];
      if (!output?.value) {
        throw new PgError(
          SQLSTATE.invalidParameterValue,
          `ORDER BY position ${order.key.ordinal} is not in select list`,
        );
      }
      value = output.value;
    } else {
      const name = order.key.column;
      const output = outputs.find((o) => o.field.name === name);
      const index = output ? -1 : columnIndex(columns, name, order.key.position);
      value = output?.value ?? ((row) => row[index]);
    }
    return { value, ...order };
  });
  return [...rows].sort((a, b) => {
    for (const key of keys) {
      const x = key.value(a);
      const y = key.value(b);
      const xNull = x === null || x === undefined;
      const yNull = y === null || y === undefined;
      if (xNull || yNull) {
        if (xNull && yNull) continue;
        return xNull === key.nullsFirst ? -1 : 1;
      }
      const c = compare(x, y);
      if (c !== 0) return key.descending ? -c : c;
    }
    return 0;
  });
}

/** Orders two non-null values of one column. */
export function compare(a: unknown, b: unknown): number {
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint'))
    return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string' && isNumeric(a) && isNumeric(b))
    return Number(a) - Number(b);
  const x = typeof a === 'string' ? a : JSON.stringify(a);
  const y = typeof b === 'string' ? b : JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function isNumeric(text: string): boolean {
  return /^-?\d+(\.\d+)?$/.test(text);
}

type Truth = boolean | null;

function test(
  condition: Condition,
  row: Row,
  columns: Column[],
  resolve: (name: string, position: number) => number,
  params: Array<string | null>,
): Truth {
  const again = (c: Condition): Truth => test(c, row, columns, resolve, params);
  switch (condition.kind) {
    case 'and': {
      const [l, r] = [again(condition.left), again(condition.right)];
      return l === false || r === false ? false : l === null || r === null ? null : true;
    }
    case 'or': {
      const [l, r] = [again(condition.left), again(condition.right)];
      return l === true || r === true ? true : l === null || r === null ? null : false;
    }
    case 'not': {
      const inner = again(condition.condition);
      return inner === null ? null : !inner;
    }
    case 'is-null': {
      const value = operandValue(condition.operand, row, columns, resolve, params, null).value;
      return (value === null || value === undefined) !== condition.negated;
    }
    case 'operand': {
      const value = operandValue(condition.operand, row, columns, resolve, params, null).value;
      if (value === null || value === undefined) return null;
      if (typeof value === 'boolean') return value;
      throw new PgError(SQLSTATE.datatypeMismatch, 'argument of WHERE must be type boolean');
    }
    case 'compare':
    case 'in': {
      const left = operandValue(
        condition.kind === 'in' ? condition.operand : condition.left,
        row,
        columns,
        resolve,
        params,
        null,
      );
      const rights = condition.kind === 'in' ? condition.list : [condition.right];
      let unknown = false;
      for (const operand of rights) {
        const right = operandValue(operand, row, columns, resolve, params, left.oid);
        const l = left.oid === null && right.oid !== null ? coerce(left.value, right.oid) : left.value;
        if (l === null || l === undefined || right.value === null || right.value === undefined) {
          unknown = true;
          continue;
        }
        const c = compare(l, right.value);
        const op = condition.kind === 'in' ? '=' : condition.op;
        const hit =
          op === '='
            ? c === 0
            : op === '<>'
              ? c !== 0
              : op === '<'
                ? c < 0
                : op === '<='
                  ? c <= 0
                  : op === '>'
                    ? c > 0
                    : c >= 0;
        if (condition.kind === 'compare') return hit;
        if (hit) return !condition.negated;
      }
      if (condition.kind === 'compare') return null;
      return unknown ? null : condition.negated;
    }
  }
}

/** An operand's value, with literals coerced to the type of the column they are compared with. */
function operandValue(
  operand: Operand,
  row: Row,
  columns: Column[],
  resolve: (name: string, position: number) => number,
  params: Array<string | null>,
  otherOid: number | null,
): { value: unknown; oid: number | null } {
  if (operand.kind === 'column') {
    const index = resolve(operand.name, operand.position);
    return { value: row[index], oid: typeOid((columns[index] as Column).type) };
  }
  let literal: Literal;
  if (operand.kind === 'param') {
    if (operand.index < 1 || operand.index > params.length) {
      throw new PgError(SQLSTATE.protocolViolation, `there is no parameter $${operand.index}`, {
        position: operand.position,
      });
    }
    literal = params[operand.index - 1] ?? null;
  } else literal = operand.value;
  return { value: otherOid === null ? literal : coerce(literal, otherOid), oid: null };
}

function coerce(value: unknown, oid: number): unknown {
  if (value === null || value === undefined) return null;
  if (INT_OIDS.has(oid) || FLOAT_OIDS.has(oid) || oid === 1700) {
    if (typeof value === 'number' || typeof value === 'bigint') return value;
    const text = String(value).trim();
    if (!/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(text)) {
      throw new PgError(
        SQLSTATE.invalidTextRepresentation,
        `invalid input syntax for type numeric: "${String(value)}"`,
      );
    }
    return Number.isSafeInteger(Number(text)) || !/^[-+]?\d+$/.test(text) ? Number(text) : BigInt(text);
  }
  if (oid === 16) {
    if (typeof value === 'boolean') return value;
    const text = String(value).trim().toLowerCase();
    if (['t', 'true', 'yes', 'on', '1'].includes(text)) return true;
    if (['f', 'false', 'no', 'off', '0'].includes(text)) return false;
    throw new PgError(
      SQLSTATE.invalidTextRepresentation,
      `invalid input syntax for type boolean: "${String(value)}"`,
    );
  }
  if (oid === 1082 || oid === 1114 || oid === 1184) return new Date(String(value));
  return typeof value === 'string' ? value : String(value);
}
