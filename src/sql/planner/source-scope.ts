/**
 * The relation a delta-path view reads, as a scope for compiling its expressions: the columns of a
 * table (with the scalar library's types) or of an earlier delta-path view. Qualified references
 * to it (`t.x`, `alias.x`) are rewritten to bare ones first, so that `t.x` and `x` are the same
 * expression when GROUP BY and ORDER BY are matched against the select list.
 */
import type { SelectStmt } from 'libpg-query';
import type { ViewPath } from '../../engine/types.js';
import { baseType } from '../parse-types.js';
import { COLUMN_TYPES, SqlCompileError, Unsupported, type Scope, type SqlType } from '../scalar/index.js';
import { exprKey, kindOf, nameList, walk, type AstNode } from './ast.js';

export interface Relation {
  name: string;
  kind: 'table' | 'view';
  path: ViewPath;
  columns: Array<{ name: string; type: string }>;
  /** A delta-path view's unique key (unique-key.ts), by column name; absent or null: none. */
  key?: readonly string[] | null;
}

const SQL_TYPES: ReadonlySet<string> = new Set<string>(COLUMN_TYPES);

export interface Source {
  relation: Relation;
  /** The name the query calls it by: its alias, else its name. */
  alias: string;
  scope: Scope;
  /** Columns the query reads (all of them for `*`). */
  reads: Set<string>;
}

export function resolveSource(select: SelectStmt, catalog: Map<string, Relation>): Source {
  const [, from] = kindOf(select.fromClause?.[0]);
  const name = String(from['relname'] ?? '');
  const relation = catalog.get(name);
  if (!relation) throw new SqlCompileError('42P01', `relation "${name}" does not exist`);
  if (relation.kind === 'view' && relation.path !== 'delta') {
    throw new Unsupported(`reads view "${name}", which runs on PGlite`);
  }
  const alias = String((from['alias'] as AstNode | undefined)?.['aliasname'] ?? name);
  const reads = columnsRead(
    select,
    relation.columns.map((c) => c.name),
  );
  const scope: Scope = {
    columns: relation.columns.map((c) => {
      const type = baseType(c.type);
      if (reads.has(c.name) && !SQL_TYPES.has(type)) {
        throw new Unsupported(`column "${c.name}" has type ${c.type}, which runs on PGlite`);
      }
      return { name: c.name, type: (SQL_TYPES.has(type) ? type : 'text') as SqlType, relation: alias };
    }),
  };
  return { relation, alias, scope, reads };
}

/** Names of the columns the query reads (every one of `columns` for a `*`). */
export function columnsRead(select: SelectStmt, columns: string[]): Set<string> {
  const reads = new Set<string>();
  let all = false;
  walk(
    [select.targetList, select.whereClause, select.groupClause, select.havingClause, select.sortClause],
    (kind, body) => {
      if (kind !== 'ColumnRef') return true;
      const fields = nameList(body['fields']);
      const last = fields[fields.length - 1] ?? '';
      if (last === '*') all = true;
      else reads.add(last);
      return false;
    },
  );
  return all ? new Set(columns) : reads;
}

/** A copy of the query where `alias.column` reads as `column` (nothing else can be meant). */
export function unqualified<T>(node: T, alias: string): T {
  return JSON.parse(JSON.stringify(node), (key, value: unknown) => {
    if (key !== 'ColumnRef' || value === null || typeof value !== 'object') return value;
    const ref = value as AstNode;
    const fields = nameList(ref['fields']);
    if (fields.length === 2 && fields[0] === alias)
      return { ...ref, fields: (ref['fields'] as unknown[]).slice(1) };
    return ref;
  }) as T;
}

/** True when `nodes` are exactly the source's columns, in order. */
export function isIdentity(nodes: unknown[], source: Source): boolean {
  const columns = source.scope.columns;
  return (
    nodes.length === columns.length &&
    nodes.every(
      (node, i) =>
        exprKey(node) === exprKey({ ColumnRef: { fields: [{ String: { sval: columns[i]?.name } }] } }),
    )
  );
}
