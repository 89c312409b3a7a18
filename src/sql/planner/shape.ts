/**
 * Which queries the delta path takes: one relation in FROM, no joins, subqueries, window functions,
 * set operations or CTEs (see docs/VIEWS.md). For any other shape, the reason a user reads in the
 * start-up log and in `GET /api/views` for a view that runs on PGlite.
 */
import type { SelectStmt } from 'libpg-query';
import { kindOf, nameList, walk } from './ast.js';

/** Postgres aggregates the delta path does not maintain (it maintains count, sum, avg, min, max). */
const OTHER_AGGREGATES = new Set([
  'array_agg',
  'string_agg',
  'json_agg',
  'jsonb_agg',
  'json_object_agg',
  'jsonb_object_agg',
  'bool_and',
  'bool_or',
  'every',
  'bit_and',
  'bit_or',
  'bit_xor',
  'stddev',
  'stddev_pop',
  'stddev_samp',
  'variance',
  'var_pop',
  'var_samp',
  'corr',
  'covar_pop',
  'covar_samp',
  'regr_avgx',
  'regr_avgy',
  'regr_count',
  'regr_intercept',
  'regr_r2',
  'regr_slope',
  'regr_sxx',
  'regr_sxy',
  'regr_syy',
  'mode',
  'percentile_cont',
  'percentile_disc',
  'rank',
  'dense_rank',
  'percent_rank',
  'cume_dist',
  'xmlagg',
  'any_value',
  'range_agg',
  'range_intersect_agg',
]);

export const DELTA_AGGREGATES = new Set(['count', 'sum', 'avg', 'min', 'max']);

/** The last name of a FuncCall, lower-cased as the parser leaves unquoted names. */
export function functionName(funcname: unknown): string {
  const names = nameList(funcname);
  return names[names.length - 1] ?? '';
}

/** Why the query cannot run on the delta path, or null when its shape is one the planner compiles. */
export function unsupportedShape(select: SelectStmt): string | null {
  if (select.op && select.op !== 'SETOP_NONE') return 'UNION, INTERSECT and EXCEPT run on PGlite';
  if (select.withClause) return 'WITH queries run on PGlite';
  if (select.valuesLists?.length) return 'VALUES lists run on PGlite';
  if (select.windowClause?.length) return 'window functions run on PGlite';
  if (select.lockingClause?.length) return 'FOR UPDATE and FOR SHARE run on PGlite';
  const from = select.fromClause ?? [];
  if (from.length === 0) return 'a view without FROM runs on PGlite';
  if (from.length > 1) return 'joins run on PGlite';
  const [fromKind] = kindOf(from[0]);
  if (fromKind === 'JoinExpr') return 'joins run on PGlite';
  if (fromKind === 'RangeSubselect') return 'subqueries run on PGlite';
  if (fromKind !== 'RangeVar') return 'functions in FROM run on PGlite';
  if (select.distinctClause?.some((d) => Object.keys(d).length > 0)) return 'DISTINCT ON runs on PGlite';
  if (select.groupDistinct) return 'GROUP BY DISTINCT runs on PGlite';
  for (const item of select.groupClause ?? []) {
    if (kindOf(item)[0] === 'GroupingSet') return 'GROUPING SETS, ROLLUP and CUBE run on PGlite';
  }
  if (select.limitOption === 'LIMIT_OPTION_WITH_TIES') return 'FETCH FIRST ... WITH TIES runs on PGlite';
  if (select.sortClause?.some((s) => kindOf(s)[1]['useOp'])) return 'ORDER BY ... USING runs on PGlite';
  return expressionReason(select);
}

/** The first expression feature of the query that runs on PGlite. */
function expressionReason(select: SelectStmt): string | null {
  let reason: string | null = null;
  const parts = [
    select.targetList,
    select.whereClause,
    select.groupClause,
    select.havingClause,
    select.sortClause,
  ];
  walk(parts, (kind, body) => {
    if (reason) return false;
    if (kind === 'SubLink') reason = 'subqueries run on PGlite';
    else if (kind === 'GroupingFunc') reason = 'GROUPING() runs on PGlite';
    else if (kind === 'FuncCall') {
      const name = functionName(body['funcname']);
      if (body['over']) reason = 'window functions run on PGlite';
      else if (body['agg_within_group']) reason = `the ordered-set aggregate ${name} runs on PGlite`;
      else if (body['agg_order']) reason = 'ORDER BY inside an aggregate runs on PGlite';
      else if (body['func_variadic']) reason = 'VARIADIC arguments run on PGlite';
      else if (OTHER_AGGREGATES.has(name)) reason = `the aggregate ${name} runs on PGlite`;
    }
    return reason === null;
  });
  return reason;
}
