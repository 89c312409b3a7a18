/**
 * Aggregate calls of a grouped query: found in the select list, HAVING and ORDER BY, resolved
 * against their argument's type (sql/scalar's `aggregate`), and laid out for the reduce operator:
 * each call's argument and FILTER become columns of the rows the map stage feeds it.
 */
import { aggregate, compileExpr, SqlCompileError, type CompiledExpr, type Scope } from '../scalar/index.js';
import { exprKey, kindOf, walk, type AstNode } from './ast.js';
import type { AggregateSpec } from './delta-plan.js';
import { DELTA_AGGREGATES, functionName } from './shape.js';

export interface AggregateCall {
  /** The `{ FuncCall: ... }` node, to substitute it in the expressions above it. */
  node: AstNode;
  key: string;
}

export function isAggregateCall(node: unknown): boolean {
  const [kind, body] = kindOf(node);
  return kind === 'FuncCall' && !body['over'] && DELTA_AGGREGATES.has(functionName(body['funcname']));
}

/** True when some aggregate call occurs in `node` (not counting what is nested in a subquery). */
export function containsAggregate(node: unknown): boolean {
  let found = false;
  walk(node, (_kind, _body, wrapper) => {
    if (isAggregateCall(wrapper)) found = true;
    return !found;
  });
  return found;
}

/** Distinct aggregate calls in `nodes`, in order of first appearance. */
export function collectAggregates(nodes: unknown[]): AggregateCall[] {
  const calls = new Map<string, AggregateCall>();
  walk(nodes, (_kind, body, wrapper) => {
    if (!isAggregateCall(wrapper)) return true;
    if (containsAggregate([body['args'], body['agg_filter']])) {
      throw new SqlCompileError('42803', 'aggregate function calls cannot be nested');
    }
    const key = exprKey(wrapper);
    if (!calls.has(key)) calls.set(key, { node: wrapper, key });
    return false;
  });
  return [...calls.values()];
}

export interface AggregateLayout {
  specs: AggregateSpec[];
  /** Expressions over the source row, each one column of the map stage's output (after the keys). */
  inputs: CompiledExpr[];
}

/** Compiles the calls over the source `scope`; input columns start at `first`. */
export function layoutAggregates(calls: AggregateCall[], scope: Scope, first: number): AggregateLayout {
  const specs: AggregateSpec[] = [];
  const inputs: CompiledExpr[] = [];
  const column = (expr: CompiledExpr): number => {
    inputs.push(expr);
    return first + inputs.length - 1;
  };
  for (const call of calls) {
    const [, body] = kindOf(call.node);
    const name = functionName(body['funcname']);
    const args = (body['args'] as unknown[] | undefined) ?? [];
    const star = body['agg_star'] === true;
    const distinct = body['agg_distinct'] === true;
    let filter: number | null = null;
    let where: CompiledExpr | null = null;
    if (body['agg_filter']) {
      where = compileExpr(body['agg_filter'], scope);
      if (where.type !== 'boolean') {
        throw new SqlCompileError('42804', `argument of FILTER must be type boolean, not type ${where.type}`);
      }
      filter = column(where);
    }
    if (star) {
      const def = aggregate(name, 'bigint', { star: true });
      specs.push({ kind: 'accumulable', def, argType: 'bigint', arg: null, filter, distinct: false });
      continue;
    }
    if (args.length !== 1) {
      throw new SqlCompileError(
        '42883',
        `function ${name}(${args.length === 0 ? '' : '...'}) does not exist`,
      );
    }
    const arg = compileExpr(args[0], scope);
    const def = aggregate(name, arg.type, { distinct });
    const argColumn = column(where ? onlyWhere(where, arg) : arg);
    if (def.kind === 'hierarchical') {
      specs.push({
        kind: 'hierarchical',
        def,
        argType: arg.type,
        max: name === 'max',
        arg: argColumn,
        filter,
      });
    } else {
      specs.push({ kind: 'accumulable', def, argType: arg.type, arg: argColumn, filter, distinct });
    }
  }
  return { specs, inputs };
}

/**
 * The argument evaluated only for rows that pass FILTER, as Postgres does: a row FILTER excludes
 * cannot make the aggregate fail (`sum(x::bigint) FILTER (WHERE small)`).
 */
function onlyWhere(where: CompiledExpr, arg: CompiledExpr): CompiledExpr {
  return { type: arg.type, eval: (row, ctx) => (where.eval(row, ctx) === true ? arg.eval(row, ctx) : null) };
}
