/**
 * Function argument resolution shared by the function modules: an argument converts to a
 * parameter's type only implicitly, and a call no function matches is 42883, as in Postgres.
 */
import { SqlCompileError, type SqlType } from './interface.js';
import { coerce, type Expr } from './expr.js';
import { isImplicitCast } from './casts.js';

export function noFunctionFor(name: string, args: readonly Expr[]): SqlCompileError {
  return new SqlCompileError(
    '42883',
    `function ${name}(${args.map((a) => a.type).join(', ')}) does not exist`,
  );
}

/** `e` as an argument of type `type` of `name(args)`, or 42883 when it cannot be one. */
export function argAs(e: Expr, type: SqlType, name: string, args: readonly Expr[]): Expr {
  if (!isImplicitCast(e.type, type)) throw noFunctionFor(name, args);
  return coerce(e, type);
}
