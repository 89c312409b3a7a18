/**
 * Temporal filters, Materialize's sliding windows: `mz_now()` compared with an expression of the
 * row, at the top level of WHERE (a conjunction), e.g. `WHERE mz_now() <= to_timestamp(r_ts) +
 * INTERVAL '5 minutes'`. Each such comparison bounds the logical times (milliseconds) at which the
 * row is in the view; the delta operator (engine/delta/temporal-filter.ts) inserts the row when its
 * window opens and retracts it when it closes. Materialize's rules, with its errors for the rest:
 * `mz_now()` is compared with `=`, `<`, `<=`, `>`, `>=` (or BETWEEN) to an expression without
 * `mz_now()` whose type casts implicitly to mz_timestamp (integers and numeric as milliseconds since
 * the epoch, timestamp, timestamptz, date); no arithmetic on `mz_now()`; no `mz_now()` under OR, NOT,
 * in the select list, GROUP BY, HAVING or an aggregate's FILTER (HAVING is not supported here yet).
 */
import {
  compileExpr,
  SqlCompileError,
  type CompiledExpr,
  type Scope,
  type SqlType,
} from '../scalar/index.js';
import type { Value } from '../scalar/interface.js';
import { kindOf, nameList, walk, type AstNode } from './ast.js';
import type { Stage } from './delta-plan.js';

/** One comparison: the row is in the view from `from(row)` (lower) or until before `until(row)` (upper). */
export interface TemporalBound {
  /** `lower`: mz_now() >= / > value; `upper`: mz_now() <= / < value. */
  side: 'lower' | 'upper';
  /** `>` or `<`: the value itself is outside. */
  strict: boolean;
  expr: CompiledExpr;
  /** The value as milliseconds since the epoch (Materialize's cast to mz_timestamp); null for NULL. */
  millis(value: Value): number | null;
}

/** The row is in the view at the logical times t with every lower <= t and t < every upper. */
export interface TemporalStage {
  op: 'temporal';
  bounds: TemporalBound[];
}

const UNSUPPORTED =
  'Unsupported temporal predicate. Note: `mz_now()` must be directly compared to a mz_timestamp-castable ' +
  'expression (=, <, <=, >, >= or BETWEEN, at the top level of WHERE, joined with AND)';

const FLIP: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=' };

export function isMzNow(node: unknown): boolean {
  const [kind, body] = kindOf(node);
  return kind === 'FuncCall' && nameList(body['funcname']).at(-1)?.toLowerCase() === 'mz_now';
}

export function containsMzNow(node: unknown): boolean {
  let found = false;
  walk([node], (_kind, _body, wrapper) => {
    if (isMzNow(wrapper)) found = true;
    return !found;
  });
  return found;
}

/** The conjuncts of a WHERE clause (nested ANDs flattened). */
function conjuncts(node: unknown): unknown[] {
  const [kind, body] = kindOf(node);
  if (kind === 'BoolExpr' && body['boolop'] === 'AND_EXPR')
    return ((body['args'] as unknown[]) ?? []).flatMap(conjuncts);
  return [node];
}

function and(parts: unknown[]): unknown {
  if (parts.length <= 1) return parts[0] ?? null;
  return { BoolExpr: { boolop: 'AND_EXPR', args: parts } };
}

/**
 * Splits WHERE into its ordinary part (compiled as before) and its temporal bounds. Throws
 * Materialize's errors for `mz_now()` anywhere else in the query.
 */
export function splitTemporal(select: AstNode, scope: Scope): { where: unknown; bounds: TemporalBound[] } {
  noArithmetic(select, scope);
  const rest: unknown[] = [];
  const bounds: TemporalBound[] = [];
  const whereClause = select['whereClause'];
  for (const part of whereClause === undefined ? [] : conjuncts(whereClause)) {
    if (!containsMzNow(part)) rest.push(part);
    else bounds.push(...comparison(part, scope));
  }
  const elsewhere = { ...select, whereClause: undefined };
  if (containsMzNow(elsewhere)) {
    if (containsMzNow(select['havingClause']))
      throw new SqlCompileError(
        '0A000',
        'mz_now() in HAVING is not supported; move the temporal filter to WHERE',
      );
    throw new SqlCompileError(
      '0A000',
      `${UNSUPPORTED}; mz_now() cannot be used in the select list or GROUP BY of a view`,
    );
  }
  return { where: rest.length > 0 ? and(rest) : undefined, bounds };
}

/** mz_timestamp has no operators but comparisons: `mz_now() - INTERVAL '5 minutes'` is 42883. */
function noArithmetic(select: AstNode, scope: Scope): void {
  walk([select], (kind, body) => {
    if (kind !== 'A_Expr' || body['kind'] !== 'AEXPR_OP') return true;
    const op = nameList(body['name']).at(-1) ?? '';
    const [l, r] = [body['lexpr'], body['rexpr']];
    if (op in FLIP || op === '<>' || op === '!=' || !(isMzNow(l) || isMzNow(r))) return true;
    const typeOf = (node: unknown): string =>
      node === undefined ? '' : isMzNow(node) ? 'mz_timestamp' : compileExpr(node, scope).type;
    throw new SqlCompileError(
      '42883',
      `operator does not exist: ${[typeOf(l), op, typeOf(r)].filter(Boolean).join(' ')}`,
    );
  });
}

function comparison(node: unknown, scope: Scope): TemporalBound[] {
  const [kind, body] = kindOf(node);
  if (kind !== 'A_Expr') throw new SqlCompileError('0A000', UNSUPPORTED);
  const op = nameList(body['name']).at(-1) ?? '';
  if (body['kind'] === 'AEXPR_BETWEEN' && isMzNow(body['lexpr'])) {
    const items = ((kindOf(body['rexpr'])[1]['items'] as unknown[]) ?? []) as unknown[];
    return [...bound('>=', items[0], scope), ...bound('<=', items[1], scope)];
  }
  if (body['kind'] !== 'AEXPR_OP') throw new SqlCompileError('0A000', UNSUPPORTED);
  const { lexpr, rexpr } = body;
  if (!(op in FLIP)) throw new SqlCompileError('0A000', UNSUPPORTED);
  if (isMzNow(lexpr) && !containsMzNow(rexpr)) return bound(op, rexpr, scope);
  if (isMzNow(rexpr) && !containsMzNow(lexpr)) return bound(FLIP[op] as string, lexpr, scope);
  throw new SqlCompileError('0A000', UNSUPPORTED);
}

function bound(op: string, node: unknown, scope: Scope): TemporalBound[] {
  if (op === '=') return [...bound('>=', node, scope), ...bound('<=', node, scope)];
  const expr = compileExpr(node, scope);
  const side = op.startsWith('>') ? 'lower' : 'upper';
  return [{ side, strict: !op.endsWith('='), expr, millis: toMillis(expr.type, op) }];
}

/** Materialize's implicit casts to mz_timestamp, as milliseconds since the epoch. */
function toMillis(type: SqlType, op: string): (value: Value) => number | null {
  switch (type) {
    case 'smallint':
    case 'integer':
    case 'bigint':
      return (v) => (v === null ? null : Number(v));
    case 'numeric':
      return (v) => (v === null ? null : Math.round(Number(v)));
    case 'timestamp without time zone':
    case 'timestamp with time zone':
      return (v) => (v === null ? null : Math.floor(Number(v) / 1000));
    case 'date':
      return (v) => (v === null ? null : Number(v) * 86_400_000);
    case 'unknown':
      throw new SqlCompileError('0A000', `${UNSUPPORTED}; cast the literal to a type`);
    default:
      throw new SqlCompileError('42883', `operator does not exist: mz_timestamp ${op} ${type}`);
  }
}

/**
 * The stages of a view with temporal bounds: its first stage (the map) is split into the ordinary
 * filter, the temporal filter over the source's rows (which still hold the columns the bounds read),
 * then the projection.
 */
export function withTemporal(stages: Stage[], bounds: TemporalBound[]): Stage[] {
  const [first, ...rest] = stages;
  if (bounds.length === 0 || !first || first.op !== 'map') return stages;
  const head: Stage[] = [];
  if (first.where) head.push({ op: 'map', where: first.where, project: null });
  head.push({ op: 'temporal', bounds });
  if (first.project) head.push({ op: 'map', where: null, project: first.project });
  return [...head, ...rest];
}
