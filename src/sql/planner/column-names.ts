/**
 * The name Postgres gives an output column that has no `AS` (its FigureColname rules): a column
 * reference keeps its name, a function call or aggregate takes the function's name, a cast the name
 * of what it casts or else of the type, CASE its ELSE branch's name or "case", and anything else
 * "?column?". A view's columns must carry exactly the names PGlite would give them.
 */
import { kindOf, nameList, type AstNode } from './ast.js';

const FALLBACK = '?column?';

/** [name, strength]: 2 for a real name, 1 for a guess (a type name, "case"), 0 for none. */
function figure(node: unknown): [string, number] {
  const [kind, body] = kindOf(node);
  switch (kind) {
    case 'ColumnRef': {
      const fields = nameList(body['fields']);
      const last = fields[fields.length - 1];
      return last && last !== '*' ? [last, 2] : [FALLBACK, 0];
    }
    case 'A_Indirection': {
      const names = nameList(body['indirection']).filter((n) => n !== '*' && n !== '');
      const last = names[names.length - 1];
      return last ? [last, 2] : figure(body['arg']);
    }
    case 'FuncCall': {
      const names = nameList(body['funcname']);
      return [names[names.length - 1] ?? FALLBACK, 2];
    }
    case 'A_Expr':
      return body['kind'] === 'AEXPR_NULLIF' ? ['nullif', 2] : [FALLBACK, 0];
    case 'TypeCast':
    case 'CollateClause': {
      const inner = figure(body['arg']);
      if (inner[1] > 1 || kind === 'CollateClause') return inner;
      const typeNames = nameList((body['typeName'] as AstNode | undefined)?.['names']);
      const last = typeNames[typeNames.length - 1];
      return last ? [last, 1] : inner;
    }
    case 'CaseExpr': {
      const inner = figure(body['defresult']);
      return inner[1] > 1 ? inner : ['case', 1];
    }
    case 'CoalesceExpr':
      return ['coalesce', 2];
    case 'MinMaxExpr':
      return [body['op'] === 'IS_GREATEST' ? 'greatest' : 'least', 2];
    case 'NullIfExpr':
      return ['nullif', 2];
    case 'SQLValueFunction':
      return [sqlValueFunctionName(String(body['op'] ?? '')), 2];
    case 'A_ArrayExpr':
      return ['array', 2];
    case 'RowExpr':
      return ['row', 2];
    case 'GroupingFunc':
      return ['grouping', 2];
    case 'SubLink':
      return subLinkName(body);
    default:
      return [FALLBACK, 0];
  }
}

function sqlValueFunctionName(op: string): string {
  // SVFOP_CURRENT_TIMESTAMP_N -> current_timestamp
  return op
    .replace(/^SVFOP_/, '')
    .replace(/_N$/, '')
    .toLowerCase();
}

function subLinkName(body: AstNode): [string, number] {
  switch (body['subLinkType']) {
    case 'EXISTS_SUBLINK':
      return ['exists', 2];
    case 'ARRAY_SUBLINK':
      return ['array', 2];
    case 'EXPR_SUBLINK': {
      const [, select] = kindOf(body['subselect']);
      const targets = select['targetList'];
      if (Array.isArray(targets) && targets.length === 1) {
        const [, target] = kindOf(targets[0]);
        if (typeof target['name'] === 'string') return [target['name'], 2];
        return figure(target['val']);
      }
      return [FALLBACK, 0];
    }
    default:
      return [FALLBACK, 0];
  }
}

/** The output name of a select-list entry: its `AS` name, else what Postgres figures. */
export function columnName(name: string | undefined, expr: unknown): string {
  return name ?? figure(expr)[0];
}
