/**
 * Function calls: the common scalar functions of the delta path, resolved by name and argument
 * types as Postgres does. Non-deterministic functions (now(), current_timestamp, random()) and
 * mz_now() are Unsupported: a view that uses them runs on PGlite. Aggregate calls must have been
 * substituted by the planner (CompileOptions.substitute); one that reaches here is misplaced.
 */
import { SqlCompileError, Unsupported } from './interface.js';
import { coerce, strict1, strict2, type Expr } from './expr.js';
import { intAbs, isIntType, type Int8 } from './integers.js';
import { numericRound, numericSign, numericNeg } from './numeric.js';
import { textLength } from './text.js';
import { pgLower, pgUpper } from './text-functions.js';
import { isNumericFamily, isTextType } from './types.js';
import { compileDateTimeFunction } from './datetime-functions.js';
import { names, type Compiler } from './compile-expr.js';
import { argAs, noFunctionFor } from './function-args.js';

type Node = Record<string, unknown>;

const AGGREGATES = new Set([
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'string_agg',
  'array_agg',
  'bool_and',
  'bool_or',
  'every',
  'stddev',
  'variance',
  'json_agg',
  'jsonb_agg',
]);
const VOLATILE = new Set([
  'now',
  'random',
  'clock_timestamp',
  'statement_timestamp',
  'transaction_timestamp',
  'timeofday',
  'gen_random_uuid',
]);

function textArg(name: string, args: readonly Expr[]): Expr {
  const a = args[0];
  if (args.length !== 1 || !a || !(isTextType(a.type) || a.type === 'unknown'))
    throw noFunctionFor(name, args);
  return coerce(a, 'text');
}

function abs(args: readonly Expr[]): Expr {
  const a0 = args[0];
  if (args.length !== 1 || !a0) throw noFunctionFor('abs', args);
  const a = a0.type === 'unknown' ? coerce(a0, 'double precision') : a0;
  const type = a.type;
  if (isIntType(type)) return strict1(type, a, (v) => intAbs(type, v as Int8));
  if (type === 'numeric')
    return strict1(type, a, (v) => (numericSign(v as string) < 0 ? numericNeg(v as string) : v));
  if (type === 'real' || type === 'double precision') return strict1(type, a, (v) => Math.abs(v as number));
  throw noFunctionFor('abs', args);
}

/** round(double precision) is C's rint: half to even. */
function rint(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function round(args: readonly Expr[]): Expr {
  const [x0, n0] = args;
  if (!x0 || args.length > 2) throw noFunctionFor('round', args);
  if (n0) {
    // round(numeric, integer) only: an integer or float argument is converted to numeric.
    if (
      !(isNumericFamily(x0.type) || x0.type === 'unknown') ||
      x0.type === 'real' ||
      x0.type === 'double precision'
    )
      throw noFunctionFor('round', args);
    const x = coerce(x0, 'numeric');
    const n = argAs(n0, 'integer', 'round', args);
    return strict2('numeric', x, n, (v, d) => numericRound(v as string, d as number));
  }
  const x = x0.type === 'unknown' ? coerce(x0, 'double precision') : x0;
  // round(integer) resolves to round(double precision): float8 is the preferred numeric type.
  if (x.type === 'numeric') return strict1('numeric', x, (v) => numericRound(v as string, 0));
  if (isIntType(x.type) || x.type === 'real' || x.type === 'double precision')
    return strict1('double precision', coerce(x, 'double precision'), (v) => rint(v as number));
  throw noFunctionFor('round', args);
}

export function compileFunction(c: Compiler, kind: string, n: Node): Expr {
  if (kind === 'SQLValueFunction')
    throw new Unsupported(
      `${String(n['op']).replace('SVFOP_', '').toLowerCase()} is not supported on the delta path: it changes while the view is maintained`,
    );
  const parts = names(n['funcname']);
  const name = (parts[parts.length - 1] ?? '').toLowerCase();
  if (parts.length > 1 && parts[0] !== 'pg_catalog')
    throw new Unsupported(`function ${parts.join('.')} is not supported`);
  if (n['over']) throw new Unsupported('window functions are not supported on the delta path');
  if (AGGREGATES.has(name) || n['agg_star'])
    throw new SqlCompileError('42803', `aggregate function ${name} is not allowed here`);
  if (VOLATILE.has(name))
    throw new Unsupported(
      `${name}() is not supported on the delta path: its value changes while the view is maintained`,
    );
  if (name === 'mz_now')
    throw new Unsupported('mz_now() (temporal filters) is not supported on the delta path yet');
  if (n['agg_distinct'] || n['agg_filter'] || n['agg_order'] || n['func_variadic'])
    throw new Unsupported(`this form of call to ${name} is not supported on the delta path`);
  const args = ((n['args'] as unknown[]) ?? []).map((a) => c.compile(a));
  switch (name) {
    case 'lower':
      return strict1('text', textArg(name, args), (v) => pgLower(v as string));
    case 'upper':
      return strict1('text', textArg(name, args), (v) => pgUpper(v as string));
    case 'length':
    case 'char_length':
    case 'character_length':
      return strict1('integer', textArg(name, args), (v) => textLength(v as string));
    case 'abs':
      return abs(args);
    case 'round':
      return round(args);
    default: {
      const dt = compileDateTimeFunction(name, args);
      if (dt) return dt;
      throw new Unsupported(`function ${name} is not supported on the delta path`);
    }
  }
}
