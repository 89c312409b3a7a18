/**
 * compileExpr: a libpg-query expression node over a scope of typed columns, to a typed closure with
 * Postgres semantics. Node kinds the delta path does not handle raise Unsupported (the view runs on
 * PGlite); errors Postgres would raise while planning raise SqlCompileError.
 */
import {
  SqlCompileError,
  Unsupported,
  type CompileOptions,
  type CompiledExpr,
  type Scope,
  type Value,
} from './interface.js';
import { castExpr, coerce, constantExpr, fold, type Expr } from './expr.js';
import { arithmetic, comparison, concat, isComparison } from './operators.js';
import { resolveTypeName } from './types.js';
import { intNeg, isIntType, type Int8 } from './integers.js';
import { numericNeg, parseNumericText } from './numeric.js';
import { intervalNeg, type Interval } from './interval.js';
import { compileLogic } from './logic.js';
import { compileConditional } from './conditionals.js';
import { compileFunction } from './functions.js';
import { compileLike } from './like.js';

type Node = Record<string, unknown>;

export interface Compiler {
  compile(node: unknown): Expr;
}

/** The single key of a node object ({"A_Expr": {...}} -> ["A_Expr", {...}]). */
export function nodeKind(node: unknown): [string, Node] {
  const entry = Object.entries(node as Node)[0];
  if (!entry) throw new SqlCompileError('XX000', 'empty expression node');
  return [entry[0], entry[1] as Node];
}

/** The `sval` strings of a name list (operator names, function names, column fields). */
export function names(list: unknown): string[] {
  return ((list as Array<{ String?: { sval?: string }; A_Star?: unknown }> | undefined) ?? []).map((n) =>
    n.A_Star ? '*' : (n.String?.sval ?? ''),
  );
}

function columnRef(scope: Scope, fields: string[]): Expr {
  if (fields.includes('*')) throw new Unsupported('a * in an expression is not supported on the delta path');
  if (fields.length > 2) throw new Unsupported(`qualified name ${fields.join('.')} is not supported`);
  const name = fields[fields.length - 1] ?? '';
  const relation = fields.length === 2 ? fields[0] : undefined;
  const matches: number[] = [];
  scope.columns.forEach((c, i) => {
    if (c.name === name && (relation === undefined || c.relation === relation)) matches.push(i);
  });
  const shown = fields.join('.');
  if (matches.length === 0) {
    if (relation !== undefined && !scope.columns.some((c) => c.relation === relation))
      throw new SqlCompileError('42P01', `missing FROM-clause entry for table "${relation}"`);
    throw new SqlCompileError('42703', `column "${shown}" does not exist`);
  }
  if (matches.length > 1) throw new SqlCompileError('42702', `column reference "${shown}" is ambiguous`);
  const index = matches[0] ?? 0;
  const col = scope.columns[index];
  return { type: col?.type ?? 'text', ev: (row) => row[index] ?? null, column: index };
}

function constant(c: Node): Expr {
  if (c['isnull']) return { type: 'unknown', ev: () => null, constant: true };
  const ival = c['ival'] as { ival?: number } | undefined;
  if (ival) return constantExpr('integer', ival.ival ?? 0);
  const fval = c['fval'] as { fval?: string } | undefined;
  if (fval) {
    const text = fval.fval ?? '0';
    // An integer literal too wide for integer is bigint, then numeric, as in Postgres's scanner.
    if (/^-?\d+$/.test(text)) {
      const big = BigInt(text);
      if (big >= -2147483648n && big <= 2147483647n) return constantExpr('integer', Number(big));
      if (big >= -9223372036854775808n && big <= 9223372036854775807n)
        return constantExpr('bigint', Number.isSafeInteger(Number(big)) ? Number(big) : big);
    }
    return constantExpr('numeric', parseNumericText(text));
  }
  const sval = c['sval'] as { sval?: string } | undefined;
  if (sval) {
    const text = sval.sval ?? '';
    return { type: 'unknown', ev: () => text, literal: text, constant: true };
  }
  const boolval = c['boolval'] as { boolval?: boolean } | undefined;
  if (boolval) return constantExpr('boolean', boolval.boolval ?? false);
  throw new Unsupported('this kind of constant is not supported on the delta path');
}

function unaryMinus(e: Expr): Expr {
  const a = e.type === 'unknown' ? coerce(e, 'numeric') : e;
  const ev = a.ev;
  const type = a.type;
  let fn: (v: Value) => Value;
  if (isIntType(type)) fn = (v) => intNeg(type, v as Int8);
  else if (type === 'numeric') fn = (v) => numericNeg(v as string);
  else if (type === 'real' || type === 'double precision') fn = (v) => -(v as number);
  else if (type === 'interval') fn = (v) => intervalNeg(v as Interval);
  else throw new SqlCompileError('42883', `operator does not exist: - ${type}`);
  return fold(
    {
      type,
      ev: (row, ctx) => {
        const v = ev(row, ctx);
        return v === null ? null : fn(v);
      },
    },
    [a],
  );
}

function operator(c: Compiler, n: Node): Expr {
  const op = names(n['name'])[0] ?? '';
  if (!n['lexpr']) {
    const arg = c.compile(n['rexpr']);
    if (op === '-') return unaryMinus(arg);
    if (op === '+') return arg.type === 'unknown' ? coerce(arg, 'numeric') : arg;
    throw new Unsupported(`prefix operator ${op} is not supported on the delta path`);
  }
  const l = c.compile(n['lexpr']);
  const r = c.compile(n['rexpr']);
  if (op === '+' || op === '-' || op === '*' || op === '/' || op === '%') return arithmetic(op, l, r);
  if (isComparison(op)) return comparison(op, l, r);
  if (op === '||') return concat(l, r);
  throw new Unsupported(`operator ${op} is not supported on the delta path`);
}

function aExpr(c: Compiler, n: Node): Expr {
  switch (n['kind']) {
    case 'AEXPR_OP':
      return operator(c, n);
    case 'AEXPR_LIKE':
    case 'AEXPR_ILIKE':
      return compileLike(c, n);
    default:
      return compileConditional(c, n);
  }
}

function typeCast(c: Compiler, n: Node): Expr {
  const resolved = resolveTypeName(n['typeName'] as Node);
  const arg = c.compile(n['arg']);
  const typmod: [number, number?] | undefined =
    resolved.p === undefined ? undefined : [resolved.p, resolved.s];
  return castExpr(arg, resolved.type, typmod);
}

/** Compiles `node` over `scope`. The result's type is never 'unknown': a bare literal is text. */
export function compileExpr(node: unknown, scope: Scope, options: CompileOptions = {}): CompiledExpr {
  const compiler: Compiler = {
    compile(n: unknown): Expr {
      const index = options.substitute?.(n);
      if (index !== undefined) {
        const col = scope.columns[index];
        if (!col) throw new SqlCompileError('XX000', `substituted column ${index} is not in the scope`);
        return { type: col.type, ev: (row) => row[index] ?? null, column: index, slots: [index] };
      }
      const [kind, body] = nodeKind(n);
      switch (kind) {
        case 'ColumnRef':
          return columnRef(scope, names(body['fields']));
        case 'A_Const':
          return constant(body);
        case 'A_Expr':
          return aExpr(compiler, body);
        case 'BoolExpr':
        case 'NullTest':
        case 'BooleanTest':
          return compileLogic(compiler, kind, body);
        case 'TypeCast':
          return typeCast(compiler, body);
        case 'FuncCall':
        case 'SQLValueFunction':
          return compileFunction(compiler, kind, body);
        case 'CaseExpr':
        case 'CoalesceExpr':
        case 'MinMaxExpr':
          return compileConditional(compiler, { kind, ...body });
        default:
          throw new Unsupported(`${kind} expressions are not supported on the delta path`);
      }
    },
  };
  const e = compiler.compile(node);
  const typed = e.type === 'unknown' ? coerce(e, 'text') : e;
  return {
    type: typed.type,
    eval: typed.ev,
    ...(typed.column !== undefined ? { column: typed.column } : {}),
    ...(typed.dropped ? { dropped: typed.dropped } : {}),
  };
}
